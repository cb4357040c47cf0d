/// A parsed `http(s)://host[:port][/path]` webhook address, checked before any attempt so that a bad address
/// is a configuration error, not a failure at 3 a.m. Other schemes are refused (`unsupportedScheme`).
/// A plain value: safe to pass between threads.
public struct WebhookURL: Sendable, Equatable {
    /// `https` (certificate checked) or `http`.
    public var isTLS: Bool
    /// Host name or IP literal, without brackets for IPv6 (`::1`).
    public var host: String
    public var port: UInt16
    /// Path and query, always starting with "/".
    public var path: String

    /// An already-split address, unchecked (tests and callers that built the parts themselves).
    init(host: String, port: UInt16, path: String, isTLS: Bool = false) {
        self.isTLS = isTLS
        self.host = host
        self.port = port
        self.path = path
    }

    /// Parses `text`; throws `WebhookError.invalidURL` or `.unsupportedScheme`.
    public init(parsing text: String) throws(WebhookError) {
        let lower = text.lowercased()
        let isTLS = lower.hasPrefix("https://")
        guard isTLS || lower.hasPrefix("http://") else {
            if lower.contains("://") { throw .unsupportedScheme("only http and https webhooks are supported: \(text)") }
            throw .invalidURL("expected https://host:port/path, got \(text)")
        }
        let rest = text.dropFirst(isTLS ? "https://".count : "http://".count)
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
        var port: UInt16 = isTLS ? 443 : 80
        if let portText {
            guard let value = UInt16(portText), value > 0 else { throw .invalidURL("invalid port in \(text)") }
            port = value
        }
        self.isTLS = isTLS
        self.host = String(host)
        self.port = port
        self.path = path
    }
}
