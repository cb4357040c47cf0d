import CLibWebSockets
import Logging

/// The one lws protocol callback, for WebSocket and HTTP alike. lws calls it only on the service thread.
/// Recovers the server from the context's user pointer and dispatches on the reason.
func chatTransportCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ len: Int
) -> Int32 {
    guard let wsi, let ctx = lws_get_context(wsi), let owner = lws_context_user(ctx) else {
        return lws_callback_http_dummy(wsi, reason, user, input, len)
    }
    let server = Unmanaged<WebSocketServer>.fromOpaque(owner).takeUnretainedValue()
    let pss = user?.assumingMemoryBound(to: chat_lws_pss.self)
    let result = dispatch(server, wsi, reason, user, pss, input, len)
    // Whatever this callback queued is written now (see `flushQueuedWrites`).
    if !server.connectionsToFlush.isEmpty { server.flushQueuedWrites() }
    return result
}

private func dispatch(
    _ server: WebSocketServer, _ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ pss: UnsafeMutablePointer<chat_lws_pss>?, _ input: UnsafeMutableRawPointer?, _ len: Int
) -> Int32 {
    switch reason {
    // Connection admission
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        if server.isStopping { return 1 }
        server.watchAcceptedSocket(input)
        return 0
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return server.admitsWebSocket(wsi) ? 0 : 1

    // WebSocket
    case LWS_CALLBACK_ESTABLISHED:
        server.webSocketOpened(wsi, pss)
        return 0
    case LWS_CALLBACK_RECEIVE_PONG:
        server.connection(pss)?.heard()
        return 0
    case LWS_CALLBACK_RECEIVE:
        guard let conn = server.connection(pss) else { return -1 }
        return server.received(on: conn, input, len)
    case LWS_CALLBACK_SERVER_WRITEABLE:
        guard let conn = server.connection(pss) else { return 0 }
        return server.writeNextFrame(conn)
    case LWS_CALLBACK_CLOSED:
        server.webSocketClosed(pss)
        return 0

    // HTTP
    case LWS_CALLBACK_HTTP:
        return server.httpRequestArrived(wsi, pss)
    case LWS_CALLBACK_HTTP_BODY:
        server.httpBodyChunk(pss, input, len)
        return 0
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        server.httpBodyComplete(pss)
        return 0
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return server.httpWriteable(wsi, pss)
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        // A static file is sent: one request per connection, so close (lws flushes first).
        return -1
    case LWS_CALLBACK_CLOSED_HTTP:
        server.httpClosed(pss)
        server.unwatchSocket(wsi)
        return lws_callback_http_dummy(wsi, reason, user, input, len)

    // Cross-thread wake-ups (lws_cancel_service)
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        server.serviceWasWoken()
        return 0

    default:
        return lws_callback_http_dummy(wsi, reason, user, input, len)
    }
}
