/// Cheap checks on message text, on the hot path of every chat message (no Foundation bridging).
extension String {
    /// More than `limit` Unicode scalars. The byte count bounds the scalar count, so most texts are decided
    /// without walking the scalars.
    func exceedsScalars(_ limit: Int) -> Bool {
        utf8.count > limit && unicodeScalars.count > limit
    }

    /// Contains something other than whitespace and newlines.
    public var hasVisibleContent: Bool {
        contains { !$0.isWhitespace }
    }
}

extension String {
    /// Contains a C0 control character other than tab, line feed and carriage return (U+0000-U+001F).
    ///
    /// Such text is refused wherever a client hands it in: SQLite receives Swift strings as C strings, so text
    /// after a NUL would be silently dropped from storage while the client had been shown all of it, and the other
    /// controls have no business in chat text or ticket fields. In UTF-8 these bytes only ever encode themselves,
    /// so a byte scan is exact.
    public var hasDisallowedControlCharacters: Bool {
        utf8.contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
    }
}
