import CLibWebSockets
import Logging

/// Streamed request bodies (uploads). For a dynamic route the delegate names with a byte limit
/// (``TransportDelegate/transport(_:streamedBodyLimitFor:)``), the head is delivered at once
/// (``TransportDelegate/transport(_:didReceive:)`` with an empty body and `bodyIsStreamed`), then every body
/// chunk in order (``TransportDelegate/transport(_:didReceiveBodyChunk:of:)``), then the end
/// (``TransportDelegate/transport(_:didEndBodyOf:complete:)``). Service thread only, like all of the transport.
///
/// Refusals happen here, before the delegate sees anything it must store: no `Content-Length` is 411
/// `length_required`; a `Content-Length` over the limit is 413 `payload_too_large` (the body is read and dropped
/// so that the client, still sending, reads the answer instead of a reset). A body that grows past the limit
/// anyway (lws enforces Content-Length, so only a lying client) ends with `complete: false` and 413.
/// A response the delegate gives before the body has ended is held until it has.
extension WebSocketServer {
    /// From `httpRequestArrived`: nil when the route is not streamed (buffer as usual), else 0 (handled).
    func beginStreamedBody(_ exchange: HTTPExchange, contentLength: Int?, pss: UnsafeMutablePointer<chat_lws_pss>) -> Int32? {
        guard let delegate, let limit = delegate.transport(self, streamedBodyLimitFor: exchange.headRequest) else { return nil }
        let refusal: HTTPResponse?
        if let contentLength {
            refusal = contentLength > limit ? HTTPResponse.jsonError(
                status: 413, code: "payload_too_large", message: "The upload is larger than \(limit) bytes.") : nil
        } else {
            refusal = HTTPResponse.jsonError(status: 411, code: "length_required",
                                             message: "Send the upload with a Content-Length header.")
        }
        if let refusal {
            logger.notice("streamed upload refused", metadata: [
                "http.request": "\(exchange.id)", "http.path": "\(exchange.path)", "http.status": "\(refusal.status)",
            ])
            exchange.delivered = true
            exchange.response = refusal
            if (contentLength ?? 0) == 0 { lws_callback_on_writable(exchange.wsi) }
            else { exchange.bodyTooLarge = true }  // read and dropped; answered at completion (httpBodyComplete)
            return 0
        }
        let stream = HTTPRequestBodyStream(limit: limit)
        exchange.requestBody = stream
        exchange.delivered = true
        lws_set_timeout(exchange.wsi, PENDING_TIMEOUT_USER_OK, Self.deferredResponseTimeoutSeconds)
        delegate.transport(self, didReceive: exchange.headRequest)
        if contentLength == 0 { endStreamedBody(exchange, stream) }
        return 0
    }

    /// One piece of a streamed body (LWS_CALLBACK_HTTP_BODY).
    func streamedBodyChunk(_ exchange: HTTPExchange, _ stream: HTTPRequestBodyStream, _ input: UnsafeMutableRawPointer, _ len: Int) {
        guard !stream.tooLarge, !stream.isComplete else { return }
        stream.received += len
        if stream.received > stream.limit {
            stream.tooLarge = true
            return
        }
        // Each chunk restarts the deadline: an upload may take longer than one deferred-response timeout.
        lws_set_timeout(exchange.wsi, PENDING_TIMEOUT_USER_OK, Self.deferredResponseTimeoutSeconds)
        stream.outstanding += 1
        if stream.outstanding > HTTPRequestBodyStream.pauseAbove && !stream.paused {
            stream.paused = true
            lws_rx_flow_control(exchange.wsi, 0)
        }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: input, count: len))
        delegate?.transport(self, didReceiveBodyChunk: bytes, of: exchange.id)
    }

    /// LWS_CALLBACK_HTTP_BODY_COMPLETION of a streamed body.
    func endStreamedBody(_ exchange: HTTPExchange, _ stream: HTTPRequestBodyStream) {
        guard !stream.isComplete else { return }
        stream.isComplete = true
        if stream.paused {
            stream.paused = false
            lws_rx_flow_control(exchange.wsi, 1)
        }
        if stream.tooLarge {
            delegate?.transport(self, didEndBodyOf: exchange.id, complete: false)
            exchange.response = nil
            respond(to: exchange.id, with: HTTPResponse.jsonError(
                status: 413, code: "payload_too_large", message: "The upload is larger than \(stream.limit) bytes."))
            return
        }
        lws_set_timeout(exchange.wsi, PENDING_TIMEOUT_USER_OK, Self.deferredResponseTimeoutSeconds)
        delegate?.transport(self, didEndBodyOf: exchange.id, complete: true)
        // A response given while the body was still arriving was held (respond(to:with:)): write it now.
        if exchange.response != nil { lws_callback_on_writable(exchange.wsi) }
    }

    /// Service thread only. The delegate has consumed (written, or dropped) `chunks` body chunks of `requestID`:
    /// the socket is read again once few enough wait. Ignored for a request that is gone.
    public func requestBodyConsumed(_ requestID: UInt64, chunks: Int = 1) {
        assertServiceThread()
        guard let exchange = exchanges[requestID], let stream = exchange.requestBody else { return }
        stream.outstanding = max(0, stream.outstanding - chunks)
        if stream.paused && stream.outstanding <= HTTPRequestBodyStream.resumeAt {
            stream.paused = false
            lws_rx_flow_control(exchange.wsi, 1)
        }
    }
}
