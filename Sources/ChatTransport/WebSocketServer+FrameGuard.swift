import CFrameGuard
import CLibWebSockets
import Logging

/// Unmasked client frames (RFC 6455 §5.1: "a server MUST close the connection upon receiving a frame that is not
/// masked", with 1002). lws 4.1.6 does not check the mask bit on the server side, so CFrameGuard watches the bytes
/// lws reads from every accepted socket (after decryption when chatd serves TLS itself) and the transport closes a WebSocket that sent such a frame: at once when
/// the frame carries data (it is never delivered), or on the guard's wake-up when it was a control frame lws
/// answered itself. Service thread only.
extension WebSocketServer {
    static let unmaskedFrameCloseCode: UInt16 = 1002
    static let unmaskedFrameReason = "unmasked frame"

    /// LWS_CALLBACK_FILTER_NETWORK_CONNECTION: a socket was just accepted; watch it from its first byte.
    func watchAcceptedSocket(_ input: UnsafeMutableRawPointer?) {
        guard frameGuardActive, let context else { return }
        chat_frame_guard_watch(Int32(truncatingIfNeeded: Int(bitPattern: input)), UnsafeMutableRawPointer(context),
                               isTLS ? 1 : 0)
    }

    /// LWS_CALLBACK_CLOSED_HTTP: a plain HTTP connection is gone (WebSockets unwatch in webSocketClosed).
    func unwatchSocket(_ wsi: OpaquePointer) {
        chat_frame_guard_unwatch(lws_get_socket_fd(wsi))
    }

    /// After a wake-up: close the WebSockets the guard reported since the last look (one atomic load when none).
    func closeConnectionsWithUnmaskedFrames() {
        guard frameGuardActive, let context else { return }
        while case let id = chat_frame_guard_next_violation(UnsafeMutableRawPointer(context)), id != 0 {
            if let conn = connections[id] { refuseUnmaskedFrames(conn) }
        }
    }

    func refuseUnmaskedFrames(_ conn: WebSocketConnection) {
        guard !conn.unmaskedFrameRefused else { return }
        conn.unmaskedFrameRefused = true
        logger.notice("closing: unmasked client frame", metadata: ["ws.connection": "\(conn.id)"])
        conn.resetIncoming()
        conn.outgoing.drop()
        if conn.isClosing {
            conn.pendingClose = (Self.unmaskedFrameCloseCode, Self.unmaskedFrameReason)
            lws_callback_on_writable(conn.wsi)
        } else {
            beginClose(conn, code: Self.unmaskedFrameCloseCode, reason: Self.unmaskedFrameReason)
        }
    }
}
