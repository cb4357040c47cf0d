import ChatCore
import Foundation

/// Which tickets a listing returns. Every criterion that is set must match (AND).
/// Plain value; safe on any thread.
public struct TicketFilter: Sendable, Equatable {
    /// The most tickets one page may hold.
    public static let maxLimit = 500

    public var organizationID: OrganizationID?
    public var contactID: ContactID?
    public var status: TicketStatus?
    public var severity: Int?
    public var urgent: Bool?
    /// Unanswered, not closed tickets whose first response is due strictly before this instant
    /// (pass "now" to list the overdue ones).
    public var dueBefore: Date?
    /// Only tickets assigned to this staff member (`v16-ticket-work`).
    public var assigneeID: StaffID?
    /// Only tickets nobody is assigned to.
    public var unassignedOnly: Bool = false
    /// Page size, clamped to `1...maxLimit`.
    public var limit: Int
    /// Tickets to skip (newest first), for paging.
    public var offset: Int

    public init(organizationID: OrganizationID? = nil, contactID: ContactID? = nil, status: TicketStatus? = nil,
                severity: Int? = nil, urgent: Bool? = nil, dueBefore: Date? = nil, limit: Int = 100, offset: Int = 0) {
        self.organizationID = organizationID
        self.contactID = contactID
        self.status = status
        self.severity = severity
        self.urgent = urgent
        self.dueBefore = dueBefore
        self.limit = limit
        self.offset = offset
    }

    var effectiveLimit: Int { min(max(limit, 1), Self.maxLimit) }
    var effectiveOffset: Int { max(offset, 0) }
}
