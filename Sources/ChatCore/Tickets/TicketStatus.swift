/// The statuses a ticket moves through. Raw values are the wire and column names.
public enum TicketStatus: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    /// Submitted, awaiting the support team.
    case new
    /// The support team is working on it and needs nothing from the customer.
    case open
    /// The support team is waiting for the customer.
    case awaitingReply = "awaiting_reply"
    /// Responded, not actively worked (e.g. waiting for a release).
    case onHold = "on_hold"
    /// Resolved. A reply does not reopen it: the customer opens a new ticket.
    case closed
}

/// Request (how-to, information) or incident (something does not work).
public enum TicketCategory: String, Sendable, Equatable, Codable, CaseIterable {
    case request
    case incident
}

/// One allowed move between statuses (policy data).
public struct TicketTransition: Sendable, Equatable, Codable {
    public var from: TicketStatus
    public var to: [TicketStatus]

    public init(from: TicketStatus, to: [TicketStatus]) {
        self.from = from
        self.to = to
    }
}
