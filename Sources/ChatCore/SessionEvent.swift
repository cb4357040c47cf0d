import Foundation

/// What happened in a session. Every kind is numbered and stored; the raw values are the wire and column names.
public enum SessionEventKind: String, Sendable, Equatable, Codable {
    /// The customer asked for a chat (seq 1; carries product and subject in `text`/`detail`).
    case requested
    /// A chat message from the customer or an agent.
    case message
    /// An agent joined (routing, take, or the receiving side of a transfer).
    case joined
    /// The session moved from one agent to another (`agent` is the new one, `author` the one who transferred).
    case transferred
    /// The session went back to the queue (for example the agent's connection did not come back in time).
    case requeued
    /// The session was closed by `author`.
    case closed
    /// Both sides: the quick-question time is nearly used up.
    case budgetWarning = "budget_warning"
    /// The quick-question time is used up: the customer is offered conversion to a ticket.
    case conversionOffered = "conversion_offered"
    /// The customer accepted the conversion offer.
    case offerAccepted = "offer_accepted"
    /// The customer declined the conversion offer; the agent decides to continue or close.
    case offerDeclined = "offer_declined"
    /// The agent chose to continue after the customer declined (the budget is no longer enforced).
    case chatContinued = "chat_continued"
    /// The chat became ticket `ticketNumber` (the session closes right after).
    case converted
    /// The agent proposed paid professional services (`proposal`); nothing is billed unless accepted.
    case servicesProposed = "services_proposed"
    /// The customer accepted the proposal in `proposal` (now billable).
    case servicesAccepted = "services_accepted"
    /// The customer declined the proposal.
    case servicesDeclined = "services_declined"
    /// The customer has waited in the queue longer than policy `chat.maxQueueMinutes`: they are offered a ticket
    /// (answer with `respond_offer`: accept converts the chat with the whole conversation, decline keeps waiting).
    case waitOffered = "wait_offered"
    /// The customer declined the long-wait offer and keeps waiting (no further offers for this wait).
    case waitDeclined = "wait_declined"
    /// A staff-only note in the chat: an agent's internal note, or a supervisor's whisper to the agent. Never sent
    /// to the customer, in no frame, replay or transcript.
    case note
    /// A file (image, PDF, text log) uploaded into the chat; `attachment` describes it, `text` is its file name.
    case attachment

    /// Who may receive events of this kind among those who may read the chat (see `SessionAccess`).
    public var audience: Audience { self == .note ? .staffOnly : .everyone }
}

/// Who wrote or caused an event.
public struct Participant: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Equatable, Codable {
        case customer, agent, supervisor, system
    }
    public var role: Role
    /// The contact id for customers, the staff id (as text) for staff, "system" for the server.
    public var id: String
    public var name: String

    public init(role: Role, id: String, name: String) {
        self.role = role
        self.id = id
        self.name = name
    }

    public static let system = Participant(role: .system, id: "system", name: "Support")
}

/// A reference to a staff member inside an event (join, transfer target).
public struct StaffRef: Sendable, Equatable, Codable {
    public var id: StaffID
    public var name: String
    public init(id: StaffID, name: String) {
        self.id = id
        self.name = name
    }
}

/// One numbered, stored event of a session. Immutable once committed.
public struct SessionEvent: Sendable, Equatable, Codable {
    public var sessionID: SessionID
    public var seq: Seq
    public var at: Date
    public var kind: SessionEventKind
    public var author: Participant
    /// Message text (for `.message`), or a human sentence for other kinds.
    public var text: String?
    /// The client-generated id of the message that created this event, for idempotent resends.
    public var clientMessageID: String?
    /// The agent concerned by `.joined` and `.transferred`.
    public var agent: StaffRef?
    /// A short machine reason (`agent_disconnected`, `customer`, ...) for `.requeued` and `.closed`.
    public var reason: String?
    /// The ticket a `.converted` event created.
    public var ticketNumber: Int64?
    /// The professional-services proposal of `.servicesProposed` / `.servicesAccepted` / `.servicesDeclined`.
    public var proposal: ServicesProposal?
    /// The file of an `.attachment` event.
    public var attachment: AttachmentInfo?

    public init(sessionID: SessionID, seq: Seq, at: Date, kind: SessionEventKind, author: Participant,
                text: String? = nil, clientMessageID: String? = nil, agent: StaffRef? = nil, reason: String? = nil,
                ticketNumber: Int64? = nil, proposal: ServicesProposal? = nil,
                attachment: AttachmentInfo? = nil) {
        self.attachment = attachment
        self.sessionID = sessionID
        self.seq = seq
        self.at = at
        self.kind = kind
        self.author = author
        self.text = text
        self.clientMessageID = clientMessageID
        self.agent = agent
        self.reason = reason
        self.ticketNumber = ticketNumber
        self.proposal = proposal
    }
}

/// Paid work an agent proposes in a chat: what, at which rate, for about how long.
public struct ServicesProposal: Sendable, Equatable, Codable {
    public var description: String
    public var rateID: String
    public var hourlyRate: Double
    public var currency: String
    public var estimateHours: Double
    public var proposedBy: StaffRef

    public init(description: String, rateID: String, hourlyRate: Double, currency: String, estimateHours: Double,
                proposedBy: StaffRef) {
        self.description = description
        self.rateID = rateID
        self.hourlyRate = hourlyRate
        self.currency = currency
        self.estimateHours = estimateHours
        self.proposedBy = proposedBy
    }

    /// The estimated amount (rate times hours).
    public var estimatedAmount: Double { hourlyRate * estimateHours }
}
