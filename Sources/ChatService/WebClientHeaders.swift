import ChatTransport

/// The security headers of the WebClient's static pages (docs/PROTOCOL.md §7a). Pure; safe from any thread.
///
/// Every page: a Content-Security-Policy that allows only same-origin scripts, styles, images (and `data:` and `blob:` images: attachments are fetched with the token and shown through object URLs),
/// connections (fetch and the WebSocket) and forms, no plugins and no `<base>`; `Referrer-Policy: no-referrer`; the
/// transport adds `X-Content-Type-Options: nosniff`. Framing: the agent console, the supervisor view and everything
/// else may not be framed at all (`frame-ancestors 'none'`, `X-Frame-Options: DENY`); the customer widget and the
/// demo host page may be framed by this origin and the configured `widgetFrameAncestors`.
enum WebClientHeaders {
    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; "
        + "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        + "form-action 'self'"
    /// Path prefixes of the pages a product may embed.
    static let embeddablePrefixes = ["/widget/", "/demo/"]

    static func rules(widgetFrameAncestors origins: [String]) -> [StaticHeaderRule] {
        let locked = StaticHeaderRule(pathPrefix: "/", headers: [
            "Content-Security-Policy": contentSecurityPolicy + "; frame-ancestors 'none'",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
        ])
        var embeddable: [String: String] = [
            "Content-Security-Policy": contentSecurityPolicy + "; frame-ancestors "
                + (["'self'"] + origins).joined(separator: " "),
            "Referrer-Policy": "no-referrer",
        ]
        // X-Frame-Options (for old browsers) cannot list origins: send it only when the answer is "this origin".
        if origins.isEmpty { embeddable["X-Frame-Options"] = "SAMEORIGIN" }
        return [locked] + embeddablePrefixes.map { StaticHeaderRule(pathPrefix: $0, headers: embeddable) }
    }

    /// Whether `origin` is a serialized origin CSP accepts as a frame ancestor: `http(s)://host[:port]`, no path.
    /// A wildcard first label (`https://*.example.com`) is allowed, as CSP allows it.
    static func isValidOrigin(_ origin: String) -> Bool {
        let schemes = ["https://", "http://"]
        guard let scheme = schemes.first(where: { origin.hasPrefix($0) }) else { return false }
        let rest = origin.dropFirst(scheme.count)
        guard !rest.isEmpty else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:*[]")
        guard rest.allSatisfy({ allowed.contains($0) }) else { return false }
        let host = rest.split(separator: ":", maxSplits: 1).first ?? ""
        if host.contains("*") && !(host.hasPrefix("*.") && host.dropFirst(2).allSatisfy { $0 != "*" }) { return false }
        return !host.isEmpty
    }
}
