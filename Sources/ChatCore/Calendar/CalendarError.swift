/// Why a `SupportRegion` cannot be turned into a `SupportCalendar`: an unknown time zone, a malformed or empty
/// opening interval, or a holiday rule that is incomplete, refers to an unknown rule, or is part of a cycle.
/// `message` names the region and the offending entry so it can be shown to whoever edits the policy.
public struct CalendarError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
