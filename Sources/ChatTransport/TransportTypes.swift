/// Identifies one WebSocket connection for its whole life. Never reused within one server.
/// The application maps it 1:1 onto its own connection id.
public typealias TransportConnectionID = UInt64

/// Which event loop drives the lws service thread.
public enum TransportEventLoop: String, Sendable {
    /// lws's built-in poll() loop: scans every socket on every wake-up (cost grows with the connection count).
    case poll
    /// libev (epoll on Linux): lws runs on a libev loop the server owns, through lws's event-library plugin (Debian
    /// `libwebsockets-evlib-ev`, which also brings `libev4`). If either cannot be loaded, ``WebSocketServer/start()``
    /// logs a warning and falls back to ``poll``.
    case libev
}

/// Listening address, static folder and the limits that protect the service thread. Plain data, any thread.
public struct TransportConfig: Sendable {
    /// Address to listen on, e.g. "127.0.0.1".
    public var host: String
    /// TCP port; 0 picks a free port (``WebSocketServer/start()`` returns the one bound).
    public var port: Int
    /// Absolute path of a folder served at "/" (`index.html` is the default document); nil serves no files.
    /// Dotfiles and anything a symlink leads to outside the folder are 404 (see ``StaticFileResolver``).
    public var staticRoot: String?
    /// Headers sent with static files, by path prefix (the longest matching prefix wins).
    public var staticHeaderRules: [StaticHeaderRule]
    /// Largest incoming WebSocket message after reassembly; a bigger one closes the connection with 1009.
    public var maxFrameBytes: Int
    /// Cap on the bytes waiting to be written to one WebSocket; overflow closes it with 1008 "slow_consumer".
    public var maxQueuedBytesPerConnection: Int
    /// Largest accepted HTTP request body; a bigger one is answered 413 without reaching the delegate.
    public var maxHTTPBodyBytes: Int
    /// The event loop; ``TransportEventLoop/libev`` by default (falls back to poll when unavailable).
    public var eventLoop: TransportEventLoop
    /// Most WebSockets open at once from one source address. One more completes its handshake and is closed at
    /// once with 1013 "too_many_connections"; the delegate never sees it.
    public var maxConnectionsPerAddress: Int
    /// A WebSocket is pinged after this many seconds without receiving anything from it...
    public var idlePingSeconds: Int
    /// ...and dropped (no close handshake) after this many seconds without receiving anything (a pong counts).
    /// Must be > `idlePingSeconds`. Both are checked by a sweep every `min(ping, timeout - ping) / 2` seconds.
    public var idleTimeoutSeconds: Int
    /// lws's `timeout_secs` and `timeout_secs_ah_idle`: how long a new TCP connection may take to send its HTTP
    /// request (a WebSocket upgrade or an API call) before lws drops it. 0 keeps lws's defaults (measured: 10 s, and
    /// 28 s on the libev loop before the transport's lws heartbeat).
    public var handshakeTimeoutSeconds: Int
    /// PEM certificate chain and private key: when both are set the server speaks only HTTPS and WSS (lws with
    /// OpenSSL); ``WebSocketServer/reloadTLSCertificate()`` reads them again without dropping connections.
    public var tlsCertificatePath: String?
    public var tlsPrivateKeyPath: String?
    /// Test hooks: lws's libev plugin and libev itself, loaded by name (a bogus name simulates a missing package).
    var eventLibPluginName = "libwebsockets-evlib_ev.so"
    var libevLibraryName = "libev.so.4"

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        staticRoot: String? = nil,
        staticHeaderRules: [StaticHeaderRule] = StaticHeaderRule.defaults,
        maxFrameBytes: Int = 64 * 1024,
        maxQueuedBytesPerConnection: Int = 4 * 1024 * 1024,
        maxHTTPBodyBytes: Int = 1024 * 1024,
        eventLoop: TransportEventLoop = .libev,
        maxConnectionsPerAddress: Int = 200,
        idlePingSeconds: Int = 30,
        idleTimeoutSeconds: Int = 75,
        handshakeTimeoutSeconds: Int = 0,
        tlsCertificatePath: String? = nil,
        tlsPrivateKeyPath: String? = nil
    ) {
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsPrivateKeyPath = tlsPrivateKeyPath
        self.host = host
        self.port = port
        self.staticRoot = staticRoot
        self.staticHeaderRules = staticHeaderRules
        self.maxFrameBytes = maxFrameBytes
        self.maxQueuedBytesPerConnection = maxQueuedBytesPerConnection
        self.maxHTTPBodyBytes = maxHTTPBodyBytes
        self.eventLoop = eventLoop
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.idlePingSeconds = idlePingSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.handshakeTimeoutSeconds = handshakeTimeoutSeconds
    }
}

/// The HTTP methods the transport delivers to the delegate; others are answered 405 by the transport.
public enum HTTPMethod: String, Sendable {
    case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE", options = "OPTIONS"
}

/// A dynamic HTTP request (`/healthz` or `/api/...`), complete with its body. Plain data, any thread.
public struct HTTPRequest: Sendable {
    /// Pass to ``WebSocketServer/respond(to:with:)``.
    public let id: UInt64
    public let method: HTTPMethod
    /// The path without the query string, already percent-decoded and normalised by lws.
    public let path: String
    /// Query arguments, percent-decoded; a repeated name keeps its last value.
    public let query: [String: String]
    /// Request headers by lowercased name (e.g. "authorization", "content-type").
    public let headers: [String: String]
    public let body: [UInt8]
    /// The client's IP address as text ("127.0.0.1", "::1"); empty if lws could not tell.
    public let peerAddress: String
    /// The body follows in chunks (``TransportDelegate/transport(_:didReceiveBodyChunk:of:)``); `body` is empty.
    public let bodyIsStreamed: Bool

    public init(id: UInt64, method: HTTPMethod, path: String, query: [String: String],
                headers: [String: String], body: [UInt8], peerAddress: String = "", bodyIsStreamed: Bool = false) {
        self.peerAddress = peerAddress
        self.bodyIsStreamed = bodyIsStreamed
        self.id = id
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// The answer to an ``HTTPRequest``. The transport adds `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`,
/// `Connection: close` and the content length.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Extra headers by name (any case; sent lowercased).
    public var headers: [String: String]

    public init(status: Int, contentType: String = "application/json", body: [UInt8] = [],
                headers: [String: String] = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// A JSON error body `{"error":{"code":...,"message":...}}`, the shape every client error takes.
    public static func jsonError(status: Int, code: String, message: String) -> HTTPResponse {
        let json = "{\"error\":{\"code\":\"\(jsonEscaped(code))\",\"message\":\"\(jsonEscaped(message))\"}}"
        return HTTPResponse(status: status, body: Array(json.utf8))
    }
}

/// What ``WebSocketServer/send(_:to:)`` did with a frame.
public enum SendResult: Sendable, Equatable {
    /// The frame is queued and will be written in order.
    case queued
    /// The frame would have exceeded the connection's queue cap: the queue was dropped and the connection is
    /// closing with 1008 "slow_consumer". Returned once, on the send that overflowed.
    case closedSlowConsumer
    /// No open connection has this id (never existed, already closed, or closing after ``WebSocketServer/close(_:code:reason:)``).
    case unknownConnection
}

/// Why ``WebSocketServer/start()`` failed.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public var description: String { "\(code): \(message)" }

    static func startFailed(_ message: String) -> TransportError {
        TransportError(code: "transport_start_failed", message: message)
    }
}

func jsonEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}
