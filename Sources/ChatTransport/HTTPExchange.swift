/// One dynamic HTTP request from its headers until its response is written (or its connection drops).
/// Service thread only.
final class HTTPExchange {
    let id: UInt64
    /// Valid until `LWS_CALLBACK_CLOSED_HTTP` for this connection, when the exchange is forgotten.
    let wsi: OpaquePointer
    let method: HTTPMethod
    let path: String
    let query: [String: String]
    let headers: [String: String]
    let peerAddress: String
    var body: [UInt8] = []
    /// The body went over `maxHTTPBodyBytes`: the rest is read and discarded, then 413 is sent.
    var bodyTooLarge = false
    var delivered = false
    /// Set when the body is streamed to the delegate instead of buffered (WebSocketServer+RequestStream.swift).
    var requestBody: HTTPRequestBodyStream?

    var response: HTTPResponse?
    /// Set by ``WebSocketServer/beginStream(to:status:contentType:headers:)`` instead of `response`.
    var stream: HTTPBodyStream?
    /// The status and headers of a streamed response (its body is ignored).
    var streamHead: HTTPResponse?
    /// The application aborted the stream: close without the final chunk.
    var streamAborted = false
    var headersWritten = false
    var bodyOffset = 0

    init(id: UInt64, wsi: OpaquePointer, method: HTTPMethod, path: String,
         query: [String: String], headers: [String: String], peerAddress: String = "") {
        self.peerAddress = peerAddress
        self.id = id
        self.wsi = wsi
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    /// The head alone, for a streamed body.
    var headRequest: HTTPRequest {
        HTTPRequest(id: id, method: method, path: path, query: query, headers: headers, body: [],
                    peerAddress: peerAddress, bodyIsStreamed: true)
    }

    var request: HTTPRequest {
        HTTPRequest(id: id, method: method, path: path, query: query, headers: headers, body: body, peerAddress: peerAddress)
    }
}
