/// State of one open WebSocket. Service thread only.
final class WebSocketConnection {
    let id: TransportConnectionID
    /// The lws handle; valid until `LWS_CALLBACK_CLOSED` for this connection.
    let wsi: OpaquePointer
    /// The socket, for the unmasked-frame guard (CFrameGuard).
    let socket: Int32
    var outgoing = OutgoingFrameQueue()

    /// Fragments of the message being received (text only; binary payload is counted, not kept).
    var incoming: [UInt8] = []
    var incomingByteCount = 0
    var incomingIsBinary = false
    var receivingMessage = false

    /// Set once the connection is on its way out: nothing more is queued, the close frame follows the queue.
    var pendingClose: (code: UInt16, reason: String)?
    var isClosing: Bool { pendingClose != nil }
    /// The peer sent a frame without the mask bit: nothing more from it is delivered.
    var unmaskedFrameRefused = false

    init(id: TransportConnectionID, wsi: OpaquePointer, socket: Int32) {
        self.id = id
        self.wsi = wsi
        self.socket = socket
    }

    func resetIncoming() {
        if incoming.capacity > 64 * 1024 {
            incoming = []
        } else {
            incoming.removeAll(keepingCapacity: true)
        }
        incomingByteCount = 0
        incomingIsBinary = false
        receivingMessage = false
    }

    deinit { outgoing.drop() }
}
