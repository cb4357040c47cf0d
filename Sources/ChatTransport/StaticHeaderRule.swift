/// Response headers for the static files under one path prefix (e.g. `/console/`). Plain data, any thread.
///
/// The transport picks, for each static file, the rule with the longest prefix that matches its request path and
/// sends its headers with the file (Content-Security-Policy, framing and referrer rules are page-specific). The
/// transport itself adds `X-Content-Type-Options: nosniff` to every HTTP response, static or dynamic.
public struct StaticHeaderRule: Sendable, Equatable {
    /// Matches request paths that start with it; "/" matches everything.
    public var pathPrefix: String
    /// Header names (any case; sent lowercased) and values.
    public var headers: [String: String]

    public init(pathPrefix: String, headers: [String: String]) {
        self.pathPrefix = pathPrefix
        self.headers = headers
    }

    /// Safe defaults when the application gives none: same-origin resources only, no framing, no referrer.
    public static let defaults: [StaticHeaderRule] = [
        StaticHeaderRule(pathPrefix: "/", headers: [
            "Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
        ]),
    ]

    /// The headers of the longest matching rule (none when no rule matches).
    static func headers(for path: String, in rules: [StaticHeaderRule]) -> [String: String] {
        rules.filter { path.hasPrefix($0.pathPrefix) }
            .max { $0.pathPrefix.count < $1.pathPrefix.count }?.headers ?? [:]
    }
}
