import ChatCore
import Foundation

/// Which sessions a transcript listing returns. Every criterion that is set must match (AND).
/// Plain value; safe on any thread.
public struct TranscriptFilter: Sendable, Equatable {
    /// The most sessions one page may hold.
    public static let maxLimit = 500

    public var organizationID: OrganizationID?
    public var contactID: ContactID?
    /// Sessions this agent ever handled: joined, was transferred to, or is (or was last) assigned to.
    public var agentID: StaffID?
    /// Created at or after this instant.
    public var from: Date?
    /// Created strictly before this instant (the range is half-open: `[from, to)`).
    public var to: Date?
    public var state: SessionState?
    /// How the chat ended: still open, closed in the chat, or converted to a ticket.
    public var outcome: TranscriptOutcome?
    /// Page size, clamped to `1...maxLimit`.
    public var limit: Int
    /// Sessions to skip (newest first), for paging. Kept for older clients; prefer `after`.
    public var offset: Int
    /// Keyset paging: only sessions older than this one (newest first: by creation time, then id). Stable while
    /// new chats arrive, and as fast on page 400 as on page 1.
    public var after: TranscriptCursor?

    public init(organizationID: OrganizationID? = nil, contactID: ContactID? = nil, agentID: StaffID? = nil,
                from: Date? = nil, to: Date? = nil, state: SessionState? = nil, outcome: TranscriptOutcome? = nil,
                limit: Int = 100, offset: Int = 0, after: TranscriptCursor? = nil) {
        self.after = after
        self.outcome = outcome
        self.organizationID = organizationID
        self.contactID = contactID
        self.agentID = agentID
        self.from = from
        self.to = to
        self.state = state
        self.limit = limit
        self.offset = offset
    }

    var effectiveLimit: Int { min(max(limit, 1), Self.maxLimit) }
    var effectiveOffset: Int { max(offset, 0) }
}

/// How a chat ended, for filtering transcripts.
public enum TranscriptOutcome: String, Sendable, Equatable, CaseIterable {
    /// Queued or active.
    case open
    /// Closed in the chat (by either side), not converted.
    case closed
    /// Converted to a ticket.
    case converted
}
