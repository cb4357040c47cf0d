import Foundation

/// An open session as the engine holds it in memory. Confined to the engine's thread.
/// A class so that appending an event or delivering one mutates in place: as a struct in a dictionary every
/// change copied `pending`, `clientIDs` and `tail` (O(messages in the chat) per message).
final class LiveSession {
    var record: ChatSessionRecord
    /// Highest seq assigned (committed or not).
    var lastSeq: Seq
    /// Highest seq known to be on disk; events up to here may be delivered.
    var committedSeq: Seq
    /// The most recent committed events, oldest first, at most `tailSize`.
    var tail: [SessionEvent] = []
    /// Assigned but not yet committed, in seq order.
    var pending: [PendingEvent] = []
    /// (author, client message id) -> seq, for idempotent resends: an ack only confirms the sender's own message.
    var clientIDs: [ClientMessageKey: Seq] = [:]
    /// Connections following this session.
    var subscribers: [ConnectionID: Subscription] = [:]
    var customerReadSeq: Seq = 0
    var agentReadSeq: Seq = 0
    /// The last queue position sent to the customer (nil when none was sent or not queued).
    var announcedPosition: Int?
    /// The budget as last announced to both sides; a `budget` frame goes out whenever it differs (see
    /// `ChatEngine.announceBudgetChanges`), so every start, pause, resume and stage change is told.
    var announcedBudget: BudgetAnnouncement?

    init(record: ChatSessionRecord, lastSeq: Seq, tail: [SessionEvent], clientIDs: [ClientMessageKey: Seq],
         customerReadSeq: Seq = 0, agentReadSeq: Seq = 0) {
        self.record = record
        self.lastSeq = lastSeq
        self.committedSeq = lastSeq
        self.tail = tail
        self.clientIDs = clientIDs
        self.customerReadSeq = customerReadSeq
        self.agentReadSeq = agentReadSeq
        self.announcedBudget = BudgetAnnouncement(record.budget)
    }

    func summary(at now: Date) -> SessionSummary {
        SessionSummary(record: record, lastSeq: committedSeq, customerReadSeq: customerReadSeq,
                       agentReadSeq: agentReadSeq, asOf: now)
    }

    /// A committed event by seq, if still in the tail.
    func committedEvent(_ seq: Seq) -> SessionEvent? {
        guard let first = tail.first, seq >= first.seq, seq <= committedSeq else { return nil }
        let index = Int(seq - first.seq)
        if index < tail.count, tail[index].seq == seq { return tail[index] }
        return tail.first { $0.seq == seq }
    }

    /// Whether the tail holds every committed event after `seq`.
    func tailCovers(after seq: Seq) -> Bool {
        if seq >= committedSeq { return true }
        guard let first = tail.first else { return false }
        return first.seq <= seq + 1
    }
}

/// An event waiting for its commit, with where its acknowledgement goes.
struct PendingEvent {
    var event: SessionEvent
    /// The connection that sent it and the client id to acknowledge (nil for server-made events).
    var origin: ConnectionID?
    var clientID: String?
    /// The HTTP upload that asked for this event: answered (`attachmentAnswered`) once it commits.
    var uploadRequest: UInt64? = nil
}

/// How far a connection has been given a session's events.
struct Subscription {
    var deliveredSeq: Seq
    /// A storage read for older events is in flight; live events wait for it.
    var catchingUp: Bool = false
    /// The subscription ends once this seq is delivered (the agent was transferred away or requeued).
    var endsAfterSeq: Seq?
}

/// The parts of a budget whose change clients must hear about (the remaining time follows from them).
struct BudgetAnnouncement: Equatable {
    var limitSeconds: Double
    var usedSeconds: Double
    var running: Bool
    var stage: QuickQuestionBudget.Stage

    init(_ budget: QuickQuestionBudget) {
        limitSeconds = budget.limitSeconds
        usedSeconds = budget.usedSeconds
        running = budget.isRunning
        stage = budget.stage
    }
}
