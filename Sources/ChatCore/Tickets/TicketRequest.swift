import Foundation

/// The engine asks for a ticket to be created (chat conversion, or an urgent request outside hours).
/// Storage assigns the number; the answer comes back through `ChatEngine.ticketCreated`.
public struct TicketRequest: Sendable, Equatable {
    /// Engine-local id to match the answer.
    public var id: UInt64
    public var organizationID: OrganizationID
    public var customer: CustomerIdentity
    public var subject: String
    public var productID: String
    public var category: TicketCategory
    public var severity: Int
    public var urgent: Bool
    public var description: String
    /// The chat whose transcript the ticket links to.
    public var sessionID: SessionID?
    /// The agent who converted the chat (nil when the customer accepted the offer or asked outside hours).
    public var convertedBy: StaffRef?
    /// When the first-response clock starts: the chat's start for converted chats.
    public var slaStart: Date
    public var regionID: String
    /// Notify on-call staff (urgent, outside support hours).
    public var notifyOnCall: Bool
    /// The urgent `request_chat` this ticket answers: storage keeps at most one ticket per key, so a resend (also
    /// after a restart) finds the same ticket and pages nobody again.
    public var requestKey: ChatRequestKey?

    public init(id: UInt64, organizationID: OrganizationID, customer: CustomerIdentity, subject: String, productID: String,
                category: TicketCategory, severity: Int, urgent: Bool, description: String, sessionID: SessionID?,
                convertedBy: StaffRef?, slaStart: Date, regionID: String, notifyOnCall: Bool,
                requestKey: ChatRequestKey? = nil) {
        self.requestKey = requestKey
        self.id = id
        self.organizationID = organizationID
        self.customer = customer
        self.subject = subject
        self.productID = productID
        self.category = category
        self.severity = severity
        self.urgent = urgent
        self.description = description
        self.sessionID = sessionID
        self.convertedBy = convertedBy
        self.slaStart = slaStart
        self.regionID = regionID
        self.notifyOnCall = notifyOnCall
    }
}

/// Professional services the customer accepted in a chat: the billable record.
public struct ServiceOrder: Sendable, Equatable {
    public var sessionID: SessionID
    public var organizationID: OrganizationID
    public var contactID: ContactID
    public var proposal: ServicesProposal
    public var acceptedAt: Date

    public init(sessionID: SessionID, organizationID: OrganizationID, contactID: ContactID, proposal: ServicesProposal,
                acceptedAt: Date) {
        self.sessionID = sessionID
        self.organizationID = organizationID
        self.contactID = contactID
        self.proposal = proposal
        self.acceptedAt = acceptedAt
    }
}
