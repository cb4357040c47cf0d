import Foundation

/// A support ticket: what the customer asked, how urgent it is, where it stands and its first-response clock.
/// Plain value; safe on any thread. Its history (every change) is a separate list of `TicketHistoryEntry`.
public struct Ticket: Sendable, Equatable {
    /// Assigned by storage in increasing order; what customers and staff quote ("ticket 1234").
    public var number: Int64
    public var organizationID: OrganizationID
    /// The contact who opened the ticket (or whose chat was converted).
    public var customer: CustomerIdentity
    public var subject: String
    public var productID: String
    public var category: TicketCategory
    /// 1 (most severe) to 4, as in the policy's `severities`.
    public var severity: Int
    /// The customer cannot order, or a job cannot be produced.
    public var urgent: Bool
    public var status: TicketStatus
    /// The chat the ticket was converted from, if any (its transcript).
    public var sessionID: SessionID?
    /// The staff member who converted the chat, if any.
    public var convertedBy: StaffRef?
    public var createdAt: Date
    /// When the first staff response is due (from the severity's target in the region's business hours).
    public var firstResponseDue: Date
    /// When staff first replied; nil until then.
    public var firstRespondedAt: Date?
    public var description: String
    /// The staff member working on the ticket, if anyone took it or was given it (`v16-ticket-work`).
    public var assignee: StaffRef?

    public init(number: Int64, organizationID: OrganizationID, customer: CustomerIdentity, subject: String,
                productID: String, category: TicketCategory, severity: Int, urgent: Bool, status: TicketStatus,
                sessionID: SessionID? = nil, convertedBy: StaffRef? = nil, createdAt: Date, firstResponseDue: Date,
                firstRespondedAt: Date? = nil, description: String, assignee: StaffRef? = nil) {
        self.number = number
        self.organizationID = organizationID
        self.customer = customer
        self.subject = subject
        self.productID = productID
        self.category = category
        self.severity = severity
        self.urgent = urgent
        self.status = status
        self.sessionID = sessionID
        self.convertedBy = convertedBy
        self.createdAt = createdAt
        self.firstResponseDue = firstResponseDue
        self.firstRespondedAt = firstRespondedAt
        self.description = description
        self.assignee = assignee
    }

    /// Whether the first response came by its due time; nil while nobody has responded.
    public var firstResponseMet: Bool? {
        firstRespondedAt.map { $0 <= firstResponseDue }
    }

    /// Whether, at `instant`, the first response is late: nobody has responded, the ticket is not closed, and the
    /// due time has passed. A closed ticket needs no response, so it is never overdue.
    public func isFirstResponseOverdue(at instant: Date) -> Bool {
        firstRespondedAt == nil && status != .closed && instant > firstResponseDue
    }
}

/// What is needed to open a ticket; storage assigns the number and writes the `created` history entry.
/// Plain value; safe on any thread.
public struct TicketDraft: Sendable, Equatable {
    public var organizationID: OrganizationID
    public var customer: CustomerIdentity
    public var subject: String
    public var productID: String
    public var category: TicketCategory
    public var severity: Int
    public var urgent: Bool
    /// `new` for tickets customers open; a chat conversion may start elsewhere (for example `awaiting_reply`).
    public var status: TicketStatus
    public var sessionID: SessionID?
    public var convertedBy: StaffRef?
    public var createdAt: Date
    public var firstResponseDue: Date
    /// Set when the ticket comes from a chat in which staff already responded.
    public var firstRespondedAt: Date?
    public var description: String
    /// Who opened it (the customer, or the staff member converting a chat); the actor of the `created` entry.
    public var createdBy: Participant
    /// The client id of the urgent `request_chat` this ticket answers: storage keeps one ticket per
    /// (organization, contact, request client id).
    public var requestClientID: String?

    public init(organizationID: OrganizationID, customer: CustomerIdentity, subject: String, productID: String,
                category: TicketCategory, severity: Int, urgent: Bool = false, status: TicketStatus = .new,
                sessionID: SessionID? = nil, convertedBy: StaffRef? = nil, createdAt: Date, firstResponseDue: Date,
                firstRespondedAt: Date? = nil, description: String, createdBy: Participant) {
        self.organizationID = organizationID
        self.customer = customer
        self.subject = subject
        self.productID = productID
        self.category = category
        self.severity = severity
        self.urgent = urgent
        self.status = status
        self.sessionID = sessionID
        self.convertedBy = convertedBy
        self.createdAt = createdAt
        self.firstResponseDue = firstResponseDue
        self.firstRespondedAt = firstRespondedAt
        self.description = description
        self.createdBy = createdBy
    }

    /// The ticket this draft becomes once storage has numbered it.
    public func ticket(number: Int64) -> Ticket {
        Ticket(number: number, organizationID: organizationID, customer: customer, subject: subject,
               productID: productID, category: category, severity: severity, urgent: urgent, status: status,
               sessionID: sessionID, convertedBy: convertedBy, createdAt: createdAt,
               firstResponseDue: firstResponseDue, firstRespondedAt: firstRespondedAt, description: description)
    }
}
