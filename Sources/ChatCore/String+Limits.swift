/// Cheap checks on message text, on the hot path of every chat message (no Foundation bridging).
extension String {
    /// More than `limit` Unicode scalars. The byte count bounds the scalar count, so most texts are decided
    /// without walking the scalars.
    func exceedsScalars(_ limit: Int) -> Bool {
        utf8.count > limit && unicodeScalars.count > limit
    }

    /// Contains something other than whitespace and newlines.
    var hasVisibleContent: Bool {
        contains { !$0.isWhitespace }
    }
}
