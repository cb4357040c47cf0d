import CLibWebSockets
import Logging

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var view = Substring(self)
        while let c = view.first, set.contains(c) { view.removeFirst() }
        while let c = view.last, set.contains(c) { view.removeLast() }
        return String(view)
    }
}

/// HTTP requests, called from `chatTransportCallback` on the service thread: dynamic routes (`/healthz`, `/metrics`, `/api/...`)
/// go to the delegate; other GETs are static files (WebSocketServer+StaticFiles.swift).
///
/// One request per connection: every response carries `Connection: close` and the connection closes once it is
/// written. lws 4.1.6 answered only the first of several pipelined requests (the rest stalled, or a later static
/// one got 403), so keep-alive could not be trusted; a client resends what was not answered on a new connection
/// (RFC 9112 §9.6).
extension WebSocketServer {
    /// Request-line tokens lws fills in, one per method it parsed.
    private static let methodTokens: [(lws_token_indexes, HTTPMethod)] = [
        (WSI_TOKEN_GET_URI, .get), (WSI_TOKEN_POST_URI, .post), (WSI_TOKEN_PUT_URI, .put),
        (WSI_TOKEN_PATCH_URI, .patch), (WSI_TOKEN_DELETE_URI, .delete), (WSI_TOKEN_OPTIONS_URI, .options),
    ]
    /// Response body bytes handed to lws per HTTP_WRITEABLE.
    private static let httpWriteChunk = 16 * 1024
    /// How long a delivered request may wait for ``WebSocketServer/respond(to:with:)`` before lws drops it.
    static let deferredResponseTimeoutSeconds: Int32 = 30

    static func isDynamicRoute(_ path: String) -> Bool {
        path == "/healthz" || path == "/metrics" || path.hasPrefix("/api/")
    }

    /// LWS_CALLBACK_HTTP: headers are complete. Deliver now, or wait for the body.
    func httpRequestArrived(_ wsi: OpaquePointer, _ pss: UnsafeMutablePointer<chat_lws_pss>?) -> Int32 {
        let id = nextID()
        pss?.pointee.id = id
        guard let pss else { return -1 }  // lws always gives this protocol its per-session data

        var found: (HTTPMethod, String)?
        for (token, method) in Self.methodTokens {
            if let path = headerString(wsi, token) { found = (method, path); break }
        }
        guard let (method, path) = found else {
            // HEAD, CONNECT, ...: answered here, never delivered.
            return answerInternally(id: id, wsi: wsi, pss: pss, HTTPResponse.jsonError(
                status: 405, code: "method_not_allowed", message: "This method is not supported."))
        }
        guard Self.isDynamicRoute(path) else {
            if method == .get, let staticFiles {
                return serveStatic(path, resolver: staticFiles, id: id, wsi: wsi, pss: pss)
            }
            return answerInternally(id: id, wsi: wsi, pss: pss, HTTPResponse.jsonError(
                status: 404, code: "not_found", message: "No such resource."))
        }
        let exchange = HTTPExchange(id: id, wsi: wsi, method: method, path: path,
                                    query: queryArguments(wsi), headers: requestHeaders(wsi),
                                    peerAddress: peerAddress(wsi))
        exchanges[id] = exchange

        var contentLength = 0
        var declaredLength: Int?
        if let header = headerString(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) {
            // lws reads "-5" as a huge unsigned length and would wait for that body: drop such a request.
            guard let n = Int(header.trimmingCharacters(in: " \t")), n >= 0 else {
                logger.notice("dropping request with invalid Content-Length", metadata: ["http.path": "\(path)"])
                exchanges.removeValue(forKey: id)
                pss.pointee.id = 0
                return -1
            }
            contentLength = n
            declaredLength = n
        }
        if let handled = beginStreamedBody(exchange, contentLength: declaredLength, pss: pss) { return handled }
        if contentLength > 0 {
            // lws now delivers LWS_CALLBACK_HTTP_BODY pieces, then LWS_CALLBACK_HTTP_BODY_COMPLETION.
            if contentLength > config.maxHTTPBodyBytes { exchange.bodyTooLarge = true }
            else { exchange.body.reserveCapacity(contentLength) }
            return 0
        }
        deliver(exchange)
        return 0
    }

    func httpBodyChunk(_ pss: UnsafeMutablePointer<chat_lws_pss>?, _ input: UnsafeMutableRawPointer?, _ len: Int) {
        guard let exchange = exchange(pss), !exchange.bodyTooLarge, let input else { return }
        if let stream = exchange.requestBody { return streamedBodyChunk(exchange, stream, input, len) }
        if exchange.body.count + len > config.maxHTTPBodyBytes {
            // Keep reading (and dropping) the rest so the connection stays in step, then answer 413.
            exchange.bodyTooLarge = true
            exchange.body = []
            return
        }
        exchange.body.append(contentsOf: UnsafeRawBufferPointer(start: input, count: len))
    }

    func httpBodyComplete(_ pss: UnsafeMutablePointer<chat_lws_pss>?) {
        if let exchange = exchange(pss), let stream = exchange.requestBody { return endStreamedBody(exchange, stream) }
        if let exchange = exchange(pss), exchange.bodyTooLarge, exchange.response != nil {
            // A streamed upload refused by its Content-Length (WebSocketServer+RequestStream.swift): the body is read.
            lws_callback_on_writable(exchange.wsi)
            return
        }
        guard let exchange = exchange(pss), !exchange.delivered else { return }
        if exchange.bodyTooLarge {
            logger.notice("HTTP body too large", metadata: [
                "http.request": "\(exchange.id)", "http.path": "\(exchange.path)",
                "http.limit": "\(config.maxHTTPBodyBytes)",
            ])
            exchange.delivered = true
            respond(to: exchange.id, with: HTTPResponse.jsonError(
                status: 413, code: "payload_too_large",
                message: "The request body is larger than \(config.maxHTTPBodyBytes) bytes."))
            return
        }
        deliver(exchange)
    }

    private func deliver(_ exchange: HTTPExchange) {
        exchange.delivered = true
        // lws would drop the connection after its default 5 s; a deferred answer (database read, ...) gets longer.
        lws_set_timeout(exchange.wsi, PENDING_TIMEOUT_USER_OK, Self.deferredResponseTimeoutSeconds)
        guard let delegate else {
            respond(to: exchange.id, with: HTTPResponse.jsonError(
                status: 503, code: "unavailable", message: "The server is not ready."))
            return
        }
        delegate.transport(self, didReceive: exchange.request)
    }

    func answerInternally(id: UInt64, wsi: OpaquePointer, pss: UnsafeMutablePointer<chat_lws_pss>,
                                  _ response: HTTPResponse) -> Int32 {
        let exchange = HTTPExchange(id: id, wsi: wsi, method: .get, path: "", query: [:], headers: [:])
        exchange.delivered = true
        exchange.response = response
        exchanges[id] = exchange
        lws_callback_on_writable(wsi)
        return 0
    }

    private func exchange(_ pss: UnsafeMutablePointer<chat_lws_pss>?) -> HTTPExchange? {
        guard let pss, pss.pointee.id != 0 else { return nil }
        return exchanges[pss.pointee.id]
    }

    /// LWS_CALLBACK_HTTP_WRITEABLE: headers in one turn, then the body in chunks, then complete the transaction.
    func httpWriteable(_ wsi: OpaquePointer, _ pss: UnsafeMutablePointer<chat_lws_pss>?) -> Int32 {
        if let pss, let exchange = exchange(pss), let stream = exchange.stream {
            return streamWriteable(wsi, pss, exchange, stream)
        }
        guard let pss, let exchange = exchange(pss), let response = exchange.response else { return 0 }
        if !exchange.headersWritten {
            guard writeHeaders(wsi, response, contentLength: response.body.count) else {
                logger.notice("HTTP header write failed", metadata: ["http.request": "\(exchange.id)"])
                return -1
            }
            exchange.headersWritten = true
            if response.body.isEmpty { return completeTransaction(wsi, pss, exchange) }
            lws_callback_on_writable(wsi)
            return 0
        }
        let remaining = response.body.count - exchange.bodyOffset
        let n = min(remaining, Self.httpWriteChunk)
        let isLast = n == remaining
        var buffer = [UInt8](repeating: 0, count: lwsPre + n)
        let written: Int32 = buffer.withUnsafeMutableBufferPointer { b in
            response.body.withUnsafeBytes { body in
                (b.baseAddress! + lwsPre).initialize(
                    from: body.baseAddress!.assumingMemoryBound(to: UInt8.self) + exchange.bodyOffset, count: n)
            }
            return lws_write(wsi, b.baseAddress! + lwsPre, n, isLast ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
        }
        if written < n { return -1 }
        exchange.bodyOffset += n
        if isLast { return completeTransaction(wsi, pss, exchange) }
        lws_callback_on_writable(wsi)
        return 0
    }

    /// The status line and headers. `contentLength` nil: a streamed body (`transfer-encoding: chunked`, no length).
    func writeHeaders(_ wsi: OpaquePointer, _ response: HTTPResponse, contentLength: Int?) -> Bool {
        var headers = response.headers.map { (Array(($0.key.lowercased() + ":").utf8), Array($0.value.utf8)) }
        if contentLength == nil {
            headers.append((Array("content-type:".utf8), Array(response.contentType.utf8)))
            headers.append((Array("transfer-encoding:".utf8), Array("chunked".utf8)))
        }
        headers.append((Array("cache-control:".utf8), Array("no-store".utf8)))
        headers.append((Array("x-content-type-options:".utf8), Array("nosniff".utf8)))
        headers.append((Array("connection:".utf8), Array("close".utf8)))
        let size = lwsPre + 1024 + response.contentType.utf8.count
            + headers.reduce(0) { $0 + $1.0.count + $1.1.count + 4 }
        var buffer = [UInt8](repeating: 0, count: size)
        return buffer.withUnsafeMutableBufferPointer { b -> Bool in
            let start = b.baseAddress! + lwsPre
            let end = b.baseAddress! + b.count - 1
            var p: UnsafeMutablePointer<UInt8>? = start
            if let contentLength {
                if lws_add_http_common_headers(wsi, UInt32(response.status), response.contentType,
                                               lws_filepos_t(contentLength), &p, end) != 0 { return false }
            } else {
                // Not lws_add_http_common_headers: without a length it adds its own `connection: close` and moves
                // the connection to a shutdown state; the stream writes its own framing (WebSocketServer+HTTPStream).
                if lws_add_http_header_status(wsi, UInt32(response.status), &p, end) != 0 { return false }
            }
            for (name, value) in headers {
                var name = name + [0]
                let ok = name.withUnsafeMutableBufferPointer { n in
                    value.withUnsafeBufferPointer { v in
                        lws_add_http_header_by_name(wsi, n.baseAddress, v.baseAddress, Int32(v.count), &p, end) == 0
                    }
                }
                if !ok { return false }
            }
            return lws_finalize_write_http_header(wsi, start, &p, end) == 0
        }
    }

    func completeTransaction(_ wsi: OpaquePointer, _ pss: UnsafeMutablePointer<chat_lws_pss>,
                                     _ exchange: HTTPExchange) -> Int32 {
        exchanges.removeValue(forKey: exchange.id)
        pss.pointee.id = 0
        // One request per connection (see the top of this file). lws flushes what is still buffered, then closes.
        return -1
    }

    /// LWS_CALLBACK_CLOSED_HTTP: forget the pending request; a later respond(to:) is then ignored. A request the
    /// delegate has but has not answered is reported abandoned, so it can skip work nobody will read.
    func httpClosed(_ pss: UnsafeMutablePointer<chat_lws_pss>?) {
        guard let pss, pss.pointee.id != 0 else { return }
        let exchange = exchanges.removeValue(forKey: pss.pointee.id)
        pss.pointee.id = 0
        if let exchange, exchange.delivered, exchange.response == nil, exchange.stream?.isFinished != true, !isTearingDown {
            delegate?.transport(self, didAbandon: exchange.id)
        }
    }

    private func queryArguments(_ wsi: OpaquePointer) -> [String: String] {
        var query: [String: String] = [:]
        let total = Int(lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS))
        guard total > 0 else { return query }
        var buffer = [CChar](repeating: 0, count: total + 1)
        var index: Int32 = 0
        while true {
            let n = lws_hdr_copy_fragment(wsi, &buffer, Int32(buffer.count), WSI_TOKEN_HTTP_URI_ARGS, index)
            if n < 0 { break }
            index += 1
            if n == 0 { continue }
            let fragment = String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let eq = fragment.firstIndex(of: "=") {
                query[String(fragment[..<eq])] = String(fragment[fragment.index(after: eq)...])
            } else {
                query[fragment] = ""
            }
        }
        return query
    }

    /// Every header lws parsed into a known token, by lowercased name without the colon.
    private func requestHeaders(_ wsi: OpaquePointer) -> [String: String] {
        var headers: [String: String] = [:]
        for raw in 0..<WSI_TOKEN_COUNT.rawValue {
            let token = lws_token_indexes(rawValue: raw)
            guard let cName = lws_token_to_string(token) else { continue }
            var name = String(cString: cName)
            guard name.count > 1, name.hasSuffix(":"), !name.hasPrefix(":") else { continue }
            name.removeLast()
            if let value = headerString(wsi, token) { headers[name.lowercased()] = value }
        }
        return headers
    }
}
