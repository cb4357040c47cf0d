/// State of one open WebSocket. Service thread only.
final class WebSocketConnection {
    let id: TransportConnectionID
    /// The lws handle; valid until `LWS_CALLBACK_CLOSED` for this connection.
    let wsi: OpaquePointer
    /// The client's IP address as text.
    let peerAddress: String
    /// False for a connection over its address's cap: it is closing and the delegate never hears of it.
    let admitted: Bool
    /// When anything (a frame, a pong) last arrived, in `WebSocketServer.monotonicSeconds()`.
    var lastHeard: Double
    /// A ping is to be written at the next writeable callback.
    var pingDue = false
    /// When the last ping was queued; nil if none since `lastHeard`.
    var pingedAt: Double?
    /// The socket, for the unmasked-frame guard (CFrameGuard).
    let socket: Int32
    var outgoing = OutgoingFrameQueue()
    /// In the server's `connectionsToFlush`: its queue is written at the end of the current callback.
    var awaitingFlush = false
    /// Set by `notifyWhenDrained`: the delegate hears `didDrain` once the queue holds at most this many bytes.
    var drainWatch: Int?

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

    init(id: TransportConnectionID, wsi: OpaquePointer, peerAddress: String, admitted: Bool, socket: Int32) {
        self.id = id
        self.wsi = wsi
        self.peerAddress = peerAddress
        self.admitted = admitted
        self.socket = socket
        self.lastHeard = WebSocketServer.monotonicSeconds()
    }

    /// Something arrived from the peer: it is alive (see the idle sweep).
    func heard() {
        lastHeard = WebSocketServer.monotonicSeconds()
        pingedAt = nil
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
}
