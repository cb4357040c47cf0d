import CFrameGuard
import CLibWebSockets
import Logging

/// WebSocket events, called from `chatTransportCallback` on the service thread.
extension WebSocketServer {
    static let webSocketPath = "/ws"
    /// Upper bound on frames written in one SERVER_WRITEABLE callback, so one busy connection cannot starve others.
    static let maxFramesPerWriteable = 32

    func admitsWebSocket(_ wsi: OpaquePointer) -> Bool {
        if isStopping { return false }
        let path = headerString(wsi, WSI_TOKEN_GET_URI)
        if path == Self.webSocketPath { return true }
        logger.notice("refused WebSocket upgrade", metadata: ["ws.path": "\(path ?? "-")"])
        return false
    }

    func connection(_ pss: UnsafeMutablePointer<chat_lws_pss>?) -> WebSocketConnection? {
        guard let pss, pss.pointee.id != 0 else { return nil }
        return connections[pss.pointee.id]
    }

    /// A completed handshake. Over the per-address cap the connection is closed at once (1013
    /// "too_many_connections", after the handshake so the client sees a clear close) and never reaches the delegate.
    func webSocketOpened(_ wsi: OpaquePointer, _ pss: UnsafeMutablePointer<chat_lws_pss>?) {
        let id = nextID()
        pss?.pointee.id = id
        let address = peerAddress(wsi)
        let open = openPerAddress[address, default: 0]
        let admitted = open < config.maxConnectionsPerAddress
        let conn = WebSocketConnection(id: id, wsi: wsi, peerAddress: address, admitted: admitted,
                                       socket: lws_get_socket_fd(wsi))
        connections[id] = conn
        guard admitted else {
            logger.notice("refused WebSocket: too many connections from one address", metadata: [
                "ws.connection": "\(id)", "ws.peer": "\(address)", "ws.limit": "\(config.maxConnectionsPerAddress)",
            ])
            beginClose(conn, code: 1013, reason: "too_many_connections")
            return
        }
        openPerAddress[address] = open + 1
        armIdleSweep()
        logger.debug("WebSocket open", metadata: ["ws.connection": "\(id)"])
        delegate?.transport(self, didOpen: id, path: Self.webSocketPath)
        // Frames may have come with the handshake, before the connection existed; later ones are reported.
        chat_frame_guard_mark_websocket(conn.socket, id)
        if chat_frame_guard_violated(conn.socket) != 0 { refuseUnmaskedFrames(conn) }
    }

    func webSocketClosed(_ pss: UnsafeMutablePointer<chat_lws_pss>?) {
        guard let pss, pss.pointee.id != 0, let conn = connections.removeValue(forKey: pss.pointee.id) else { return }
        pss.pointee.id = 0
        chat_frame_guard_unwatch(conn.socket)
        if conn.admitted {
            let left = openPerAddress[conn.peerAddress, default: 1] - 1
            openPerAddress[conn.peerAddress] = left > 0 ? left : nil
            logger.debug("WebSocket closed", metadata: ["ws.connection": "\(conn.id)"])
            delegate?.transport(self, didClose: conn.id)
        }
        if isStopping { connectionClosedWhileStopping() } else { noteClosedForMemoryTrim() }
        if connections.isEmpty { idleSweepArmed = false }
    }

    /// The peer's IP address as text (lws_get_peer_simple; an IPv4 client of an IPv6 socket reads "::ffff:a.b.c.d").
    func peerAddress(_ wsi: OpaquePointer) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        guard lws_get_peer_simple(wsi, &buffer, buffer.count) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// One piece of an incoming message (a whole frame, or part of one bigger than rx_buffer_size).
    func received(on conn: WebSocketConnection, _ input: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
        let wsi = conn.wsi
        if !conn.admitted { return 0 }  // closing at once; what it says is not read
        if conn.unmaskedFrameRefused { return 0 }
        if chat_frame_guard_violated(conn.socket) != 0 {
            refuseUnmaskedFrames(conn)
            return 0
        }
        conn.heard()
        if !conn.receivingMessage {
            conn.receivingMessage = true
            conn.incomingIsBinary = lws_frame_is_binary(wsi) != 0
        }
        conn.incomingByteCount += len
        if conn.incomingByteCount > config.maxFrameBytes {
            logger.notice("closing: message too big", metadata: [
                "ws.connection": "\(conn.id)", "ws.limit": "\(config.maxFrameBytes)",
            ])
            conn.resetIncoming()
            conn.outgoing.drop()
            conn.pendingClose = (1009, "message too big")
            setCloseReason(wsi, code: 1009, reason: "message too big")
            return -1
        }
        let isLastPiece = lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0
        let piece = UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : len)

        if conn.incomingIsBinary {
            if isLastPiece {
                conn.resetIncoming()
                delegate?.transport(self, didReceiveBinaryFrom: conn.id)
            }
            return 0
        }
        guard isLastPiece else {
            conn.incoming.append(contentsOf: piece)
            return 0
        }
        if conn.incoming.isEmpty {
            // The common case: a whole message in one piece, delivered straight from lws's buffer.
            conn.resetIncoming()
            delegate?.transport(self, didReceiveText: piece, from: conn.id)
        } else {
            conn.incoming.append(contentsOf: piece)
            let message = conn.incoming
            conn.resetIncoming()
            message.withUnsafeBytes { delegate?.transport(self, didReceiveText: $0, from: conn.id) }
        }
        return 0
    }

    /// LWS_CALLBACK_SERVER_WRITEABLE: the ping if one is due; else queued frames (`writeQueue`); once drained, the
    /// pending close frame. Most frames never wait for this callback: they are written at the end of the callback
    /// that queued them (`flushQueuedWrites`); it comes for a socket that was full, a ping and a close.
    func writeNextFrame(_ conn: WebSocketConnection) -> Int32 {
        if conn.pingDue {
            conn.pingDue = false
            if writePing(conn) != 0 { return -1 }
            if !conn.outgoing.isEmpty || conn.isClosing { lws_callback_on_writable(conn.wsi) }
            return 0
        }
        if !conn.outgoing.isEmpty { return writeQueue(conn) ? 0 : -1 }
        if let close = conn.pendingClose {
            setCloseReason(conn.wsi, code: close.code, reason: close.reason)
            return -1
        }
        return 0
    }

    func setCloseReason(_ wsi: OpaquePointer, code: UInt16, reason: String) {
        var bytes = Array(reason.utf8.prefix(123))
        bytes.withUnsafeMutableBufferPointer { b in
            lws_close_reason(wsi, lws_close_status(rawValue: UInt32(code)), b.baseAddress, b.count)
        }
    }

    /// The whole value of a header token, or nil when absent.
    func headerString(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let length = Int(lws_hdr_total_length(wsi, token))
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        let copied = lws_hdr_copy(wsi, &buffer, Int32(buffer.count), token)
        guard copied >= 0 else { return nil }
        return String(decoding: buffer.prefix(Int(copied)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
