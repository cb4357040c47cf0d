import CLibWebSockets

/// Streamed HTTP bodies: a response whose length is not known up front (an export of every transcript of a
/// filter) is written as `transfer-encoding: chunked`, a part at a time, as the application produces it on its
/// workers. Flow control: the application appends a part, and appends the next only when ``appendStream`` says
/// there is room or the delegate hears ``TransportDelegate/transport(_:streamDidDrain:)``; so at most the low-water
/// mark plus one part waits in memory, whatever the body's length. A body that ends without its final chunk
/// (aborted, or the server failed mid-way) is visibly truncated to the client. A client that leaves mid-stream is
/// reported with ``TransportDelegate/transport(_:didAbandon:)``; lws 4.1.6 does not read a GET connection it is
/// answering, so it notices the close when it next writes, i.e. at the producer's next part at the latest.
extension WebSocketServer {
    /// Bytes a streamed body may hold waiting to be written (an append beyond it aborts the response).
    public static let streamCapacityBytes = 4 * 1024 * 1024
    /// Ask for the next part once no more than this many bytes are waiting.
    public static let streamLowWaterBytes = 64 * 1024
    /// Chunk payload handed to lws per HTTP_WRITEABLE.
    private static let streamWriteChunk = 16 * 1024

    /// Service thread only. Starts a streamed answer to a delivered request: the status and headers are written
    /// next, the body follows with ``appendStream(to:_:isLast:)``. False if the request is gone or answered.
    @discardableResult
    public func beginStream(to requestID: UInt64, status: Int, contentType: String,
                            headers: [String: String] = [:]) -> Bool {
        assertServiceThread()
        guard !isTearingDown, let exchange = exchanges[requestID], exchange.response == nil,
              exchange.stream == nil else { return false }
        exchange.stream = HTTPBodyStream(capacity: Self.streamCapacityBytes, lowWater: Self.streamLowWaterBytes)
        exchange.streamHead = HTTPResponse(status: status, contentType: contentType, headers: headers)
        lws_set_timeout(exchange.wsi, PENDING_TIMEOUT_USER_OK, Self.deferredResponseTimeoutSeconds)
        lws_callback_on_writable(exchange.wsi)
        return true
    }

    /// Service thread only. Appends the next part of a streamed body (`isLast`: nothing follows).
    public func appendStream(to requestID: UInt64, _ bytes: [UInt8], isLast: Bool) -> StreamAppendResult {
        assertServiceThread()
        guard !isTearingDown, let exchange = exchanges[requestID], let stream = exchange.stream,
              !stream.isFinished, !exchange.streamAborted else { return .unknownRequest }
        guard stream.append(bytes, isLast: isLast) else {
            logger.warning("HTTP stream overflow: aborting the response", metadata: ["http.request": "\(requestID)"])
            abortStream(exchange)
            return .overflow
        }
        // Each part proves the producer is alive: the deferred-response timeout starts again.
        lws_set_timeout(exchange.wsi, PENDING_TIMEOUT_USER_OK, Self.deferredResponseTimeoutSeconds)
        lws_callback_on_writable(exchange.wsi)
        let room = stream.waitingCount <= stream.lowWater
        if !room && !isLast { stream.drainWanted = true }
        return .queued(room: room)
    }

    /// Service thread only. Ends a streamed body without its final chunk (the producer failed): what was appended
    /// is written (after the headers, if they are not out yet), then the connection closes, so the client sees a
    /// truncated response. Later appends answer `.unknownRequest`. Ignored if the request is gone.
    public func abortStream(to requestID: UInt64) {
        assertServiceThread()
        guard let exchange = exchanges[requestID], exchange.stream != nil else { return }
        abortStream(exchange)
    }

    private func abortStream(_ exchange: HTTPExchange) {
        exchange.streamAborted = true
        lws_callback_on_writable(exchange.wsi)
    }

    /// LWS_CALLBACK_HTTP_WRITEABLE of a streamed response: headers, then one chunk per call, then the last chunk.
    func streamWriteable(_ wsi: OpaquePointer, _ pss: UnsafeMutablePointer<chat_lws_pss>,
                         _ exchange: HTTPExchange, _ stream: HTTPBodyStream) -> Int32 {
        if !exchange.headersWritten {
            guard let head = exchange.streamHead, writeHeaders(wsi, head, contentLength: nil) else { return -1 }
            exchange.headersWritten = true
            if stream.waitingCount > 0 || stream.isFinished || exchange.streamAborted { lws_callback_on_writable(wsi) }
            return 0
        }
        if stream.waitingCount > 0 {
            let part = stream.take(Self.streamWriteChunk)
            let sizeLine = Array((String(part.count, radix: 16) + "\r\n").utf8)
            var buffer = [UInt8](repeating: 0, count: lwsPre)
            buffer.reserveCapacity(lwsPre + sizeLine.count + part.count + 2)
            buffer.append(contentsOf: sizeLine)
            buffer.append(contentsOf: part)
            buffer.append(contentsOf: [13, 10])
            let n = buffer.count - lwsPre
            let written = buffer.withUnsafeMutableBufferPointer { b in
                lws_write(wsi, b.baseAddress! + lwsPre, n, LWS_WRITE_HTTP)
            }
            if written < n { return -1 }
            if stream.drainWanted && stream.waitingCount <= stream.lowWater {
                stream.drainWanted = false
                delegate?.transport(self, streamDidDrain: exchange.id)
            }
            if stream.waitingCount > 0 || stream.isFinished || exchange.streamAborted { lws_callback_on_writable(wsi) }
            return 0
        }
        if exchange.streamAborted {
            exchanges.removeValue(forKey: exchange.id)
            pss.pointee.id = 0
            return -1  // no final chunk: the client sees the body cut short
        }
        guard stream.isFinished else { return 0 }  // waiting for the application's next part
        var buffer = [UInt8](repeating: 0, count: lwsPre) + Array("0\r\n\r\n".utf8)
        let n = buffer.count - lwsPre
        let written = buffer.withUnsafeMutableBufferPointer { b in
            lws_write(wsi, b.baseAddress! + lwsPre, n, LWS_WRITE_HTTP_FINAL)
        }
        if written < n { return -1 }
        return completeTransaction(wsi, pss, exchange)
    }
}
