import Foundation

/// What the engine tells a connection. The service layer encodes these to JSON (see docs/PROTOCOL.md).
public enum ServerMessage: Sendable, Equatable {
    /// A numbered session event, live or replayed.
    case event(SessionEvent)
    /// A client message (or chat request) was committed as `seq` of `sessionID` at `at` (the stored event's time).
    /// Sent to the sending connection instead of `.event` for the same seq: the sender already holds the content.
    case ack(clientID: String, sessionID: SessionID, seq: Seq, at: Date)
    /// A summary of a session the connection may follow (after hello, on creation, on assignment).
    case session(SessionSummary)
    /// The customer's place in the queue (1 = next), and the expected wait from how fast the queue has been
    /// moving (nil until it has moved).
    case queuePosition(sessionID: SessionID, position: Int, expectedWaitSeconds: Double?)
    /// The other side is typing (or stopped).
    case typing(sessionID: SessionID, role: Participant.Role, active: Bool)
    /// The other side has read up to `seq`.
    case read(sessionID: SessionID, role: Participant.Role, seq: Seq)
    /// Replay of `sync` is complete up to `lastSeq`; live events follow.
    case synced(sessionID: SessionID, lastSeq: Seq)
    /// Staff: the queue changed.
    case queue([QueueEntry])
    /// Staff: an agent's status or load changed.
    case agents([AgentLoad])
    /// Your own status as the server sees it.
    case status(AgentStatus)
    /// A request was refused.
    case error(ChatError, ref: String?)
    /// The quick-question time of a session: sent to both sides when it starts, pauses, warns or runs out.
    case budget(BudgetStatus)
    /// A ticket was created for you (an urgent request outside support hours); `clientID` is the request's.
    case ticketCreated(number: Int64, urgent: Bool, onCallNotified: Bool, clientID: String?)
    /// A ticket was created, answered or moved (`change`): to staff, and to the customers of its organization.
    case ticketChanged(Ticket, change: TicketNoticeKind)
}

/// What happened to a ticket, for the `ticket` frame.
public enum TicketNoticeKind: String, Sendable, Equatable {
    case created, reply, status
    /// An internal note was added; staff only.
    case note
    /// The assignee changed; staff only.
    case assignee

    /// Notices only staff connections receive (the change is internal work on the ticket).
    public var isStaffOnly: Bool { self == .note || self == .assignee }
}

/// The quick-question time as clients see it, as of `asOf` (the server's domain time).
public struct BudgetStatus: Sendable, Equatable {
    public var sessionID: SessionID
    public var limitSeconds: Double
    public var remainingSeconds: Double
    public var running: Bool
    public var stage: QuickQuestionBudget.Stage
    public var asOf: Date

    public init(sessionID: SessionID, budget: QuickQuestionBudget, at now: Date) {
        self.sessionID = sessionID
        self.limitSeconds = budget.limitSeconds
        self.remainingSeconds = budget.remaining(at: now)
        self.running = budget.isRunning
        self.stage = budget.stage
        self.asOf = now
    }
}

/// What a client needs to know to follow a session.
public struct SessionSummary: Sendable, Equatable {
    public var record: ChatSessionRecord
    public var lastSeq: Seq
    public var customerReadSeq: Seq
    public var agentReadSeq: Seq
    /// The domain time the summary describes (the budget's remaining time is as of then).
    public var asOf: Date

    public init(record: ChatSessionRecord, lastSeq: Seq, customerReadSeq: Seq, agentReadSeq: Seq, asOf: Date) {
        self.record = record
        self.lastSeq = lastSeq
        self.customerReadSeq = customerReadSeq
        self.agentReadSeq = agentReadSeq
        self.asOf = asOf
    }

    public var budget: BudgetStatus { BudgetStatus(sessionID: record.id, budget: record.budget, at: asOf) }
}

/// One queued session, as staff see it.
public struct QueueEntry: Sendable, Equatable {
    public var sessionID: SessionID
    public var organizationID: OrganizationID
    public var customerName: String
    public var productID: String
    public var subject: String
    public var queuedAt: Date
    /// The customer has waited longer than policy `chat.maxQueueMinutes` (and was offered a ticket).
    public var longWait: Bool

    public init(sessionID: SessionID, organizationID: OrganizationID, customerName: String, productID: String,
                subject: String, queuedAt: Date, longWait: Bool = false) {
        self.longWait = longWait
        self.sessionID = sessionID
        self.organizationID = organizationID
        self.customerName = customerName
        self.productID = productID
        self.subject = subject
        self.queuedAt = queuedAt
    }
}

/// An agent's availability and load, as supervisors and routing see it.
public struct AgentLoad: Sendable, Equatable {
    public var agent: StaffRef
    public var status: AgentStatus
    public var connected: Bool
    public var activeSessions: [SessionID]

    public init(agent: StaffRef, status: AgentStatus, connected: Bool, activeSessions: [SessionID]) {
        self.agent = agent
        self.status = status
        self.connected = connected
        self.activeSessions = activeSessions
    }
}
