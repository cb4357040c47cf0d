/// A parsed `http://host[:port][/path]` webhook address.
///
/// Only plain HTTP is supported: the notifier talks to a relay on loopback or on the vendor's own network.
/// `https://` is refused with `WebhookError.unsupportedScheme` rather than silently sent in clear text.
/// A plain value: safe to pass between threads.
public struct WebhookURL: Sendable, Equatable {
    /// Host name or IP literal, without brackets for IPv6 (`::1`).
    public var host: String
    public var port: UInt16
    /// Path and query, always starting with "/".
    public var path: String

    /// An already-split address, unchecked (tests and callers that built the parts themselves).
    init(host: String, port: UInt16, path: String) {
        self.host = host
        self.port = port
        self.path = path
    }

    /// Parses `text`; throws `WebhookError.invalidURL` or `.unsupportedScheme`.
    public init(parsing text: String) throws(WebhookError) {
        let lower = text.lowercased()
        if lower.hasPrefix("https://") {
            throw .unsupportedScheme("https is not supported by the on-call webhook client (plain http only): \(text)")
        }
        guard lower.hasPrefix("http://") else {
            throw .invalidURL("expected http://host:port/path, got \(text)")
        }
        let rest = text.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if let fragment = path.firstIndex(of: "#") { path = String(path[..<fragment]) }
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        guard !authority.contains("@") else { throw .invalidURL("user information is not supported in \(text)") }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL("unclosed IPv6 bracket in \(text)") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL("unexpected text after IPv6 host in \(text)") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .invalidURL("missing host in \(text)") }
        guard !host.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }),
              !path.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) else {
            throw .invalidURL("spaces or line breaks are not allowed in \(text)")
        }
        var port: UInt16 = 80
        if let portText {
            guard let value = UInt16(portText), value > 0 else { throw .invalidURL("invalid port in \(text)") }
            port = value
        }
        self.host = String(host)
        self.port = port
        self.path = path
    }

    /// The `Host` header value: brackets around IPv6 literals, port omitted when it is 80.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }
}
