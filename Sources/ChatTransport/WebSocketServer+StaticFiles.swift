import CLibWebSockets
import Logging

/// Static files, served by the transport itself rather than an lws file mount so that each file gets the headers
/// of its path (``StaticHeaderRule``) and the folder rules of ``StaticFileResolver`` (no dotfiles, no symlinks out).
/// lws sends the file (`lws_serve_http_file`: non-blocking socket writes, file read in chunks as the socket takes
/// them) and reports `LWS_CALLBACK_HTTP_FILE_COMPLETION`, where the connection closes. Service thread only.
extension WebSocketServer {
    func serveStatic(_ path: String, resolver: StaticFileResolver, id: UInt64, wsi: OpaquePointer,
                     pss: UnsafeMutablePointer<chat_lws_pss>) -> Int32 {
        let headers = StaticHeaderRule.headers(for: path, in: config.staticHeaderRules)
        switch resolver.resolve(path) {
        case .notFound:
            var response = HTTPResponse.jsonError(status: 404, code: "not_found", message: "No such resource.")
            response.headers = headers
            return answerInternally(id: id, wsi: wsi, pss: pss, response)
        case .redirect(let location):
            return answerInternally(id: id, wsi: wsi, pss: pss, HTTPResponse(
                status: 301, contentType: "text/plain", headers: headers.merging(["Location": location]) { $1 }))
        case .file(let file, let contentType):
            pss.pointee.id = 0  // no exchange: lws owns the transaction until FILE_COMPLETION
            var extra = headers
            extra["X-Content-Type-Options"] = "nosniff"
            extra["Connection"] = "close"
            guard var block = formattedHeaders(wsi, extra) else { return -1 }
            let result = block.withUnsafeMutableBufferPointer { b in
                lws_serve_http_file(wsi, file, contentType, b.baseAddress, Int32(b.count))
            }
            if result < 0 {
                logger.notice("static file not served", metadata: ["http.path": "\(path)"])
                return -1
            }
            // > 0: already sent and completed inside lws (FILE_COMPLETION asked for the close).
            return result > 0 ? -1 : 0
        }
    }

    /// The header block `lws_serve_http_file` copies after its own headers, formatted by lws for this connection.
    private func formattedHeaders(_ wsi: OpaquePointer, _ headers: [String: String]) -> [CChar]? {
        let size = 256 + headers.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 8 }
        var buffer = [UInt8](repeating: 0, count: size)
        let used: Int? = buffer.withUnsafeMutableBufferPointer { b in
            let start = b.baseAddress!
            let end = start + b.count - 1
            var p: UnsafeMutablePointer<UInt8>? = start
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                var name = Array((name.lowercased() + ":").utf8) + [0]
                let value = Array(value.utf8)
                let failed = name.withUnsafeMutableBufferPointer { n in
                    value.withUnsafeBufferPointer { v in
                        lws_add_http_header_by_name(wsi, n.baseAddress, v.baseAddress, Int32(v.count), &p, end) != 0
                    }
                }
                if failed { return nil }
            }
            return p.map { $0 - start }
        }
        guard let used else { return nil }
        return buffer.prefix(used).map { CChar(bitPattern: $0) }
    }
}
