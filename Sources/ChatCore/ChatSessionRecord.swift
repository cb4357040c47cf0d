import Foundation

/// The lifecycle state of a chat session.
public enum SessionState: String, Sendable, Equatable, Codable {
    case queued
    case active
    case closed
}

/// The stored row of a chat session: everything except its events.
public struct ChatSessionRecord: Sendable, Equatable, Codable {
    public var id: SessionID
    public var organizationID: OrganizationID
    public var customer: CustomerIdentity
    public var productID: String
    public var subject: String
    public var state: SessionState
    /// The agent currently (or, once closed, last) handling the session.
    public var agent: StaffRef?
    public var createdAt: Date
    /// When the session last entered the queue; orders the queue after a restart.
    public var queuedAt: Date?
    public var closedAt: Date?
    /// The client id of the `request_chat` that created the session (idempotent request).
    public var requestClientID: String?
    /// The quick-question time of this chat.
    public var budget: QuickQuestionBudget
    /// A professional-services proposal waiting for the customer's answer.
    public var pendingProposal: ServicesProposal?
    /// The ticket this chat was converted to.
    public var ticketNumber: Int64?
    /// Where the long-wait offer stands while queued (policy `chat.maxQueueMinutes`).
    public var waitOffer: WaitOfferStage = .none

    public init(id: SessionID, organizationID: OrganizationID, customer: CustomerIdentity, productID: String,
                subject: String, state: SessionState, agent: StaffRef? = nil, createdAt: Date,
                queuedAt: Date? = nil, closedAt: Date? = nil, requestClientID: String? = nil,
                budget: QuickQuestionBudget = QuickQuestionBudget(limitSeconds: 15 * 60), pendingProposal: ServicesProposal? = nil,
                ticketNumber: Int64? = nil) {
        self.id = id
        self.organizationID = organizationID
        self.customer = customer
        self.productID = productID
        self.subject = subject
        self.state = state
        self.agent = agent
        self.createdAt = createdAt
        self.queuedAt = queuedAt
        self.closedAt = closedAt
        self.requestClientID = requestClientID
        self.budget = budget
        self.pendingProposal = pendingProposal
        self.ticketNumber = ticketNumber
    }
}

/// The long-wait offer of a queued chat: made once the customer waited `chat.maxQueueMinutes`, answered once.
public enum WaitOfferStage: String, Sendable, Equatable, Codable {
    case none
    /// Offered; the customer's `respond_offer` is awaited (they keep their place meanwhile).
    case offered
    /// Declined: the customer keeps waiting; not offered again until the chat is requeued.
    case declined
}
