import Foundation

/// A write the engine asks storage to make durable. Writes are applied in the order submitted;
/// one drain of the writer's queue is one transaction (group commit).
public enum StorageWrite: Sendable, Equatable {
    /// Insert a new session row.
    case createSession(ChatSessionRecord)
    /// Replace the mutable columns of a session row (state, agent, queuedAt, closedAt).
    case updateSession(ChatSessionRecord)
    /// Append one numbered event. (session, seq) is unique; so is (session, clientMessageID) when present.
    case appendEvent(SessionEvent)
    /// Record that a contact now counts against its organization's authorized contacts.
    case registerContact(OrganizationID, ContactID)
    /// Remember how far a participant has read a session.
    case readMarker(sessionID: SessionID, role: Participant.Role, seq: Seq)
    /// Record professional services the customer accepted (billable), in the same transaction as the
    /// `services_accepted` event that precedes it.
    case recordServiceOrder(ServiceOrder)
    /// Remember a staff member's availability, so that it survives a restart.
    case staffStatus(StaffID, AgentStatus)
    /// Remove the row of a session whose first event could not be stored (the chat never existed for anyone);
    /// does nothing if any event of it is stored.
    case abandonSession(SessionID)
}

/// What one committed transaction made durable: for each session, the highest event seq now on disk.
/// Delivered back to the service thread, where the engine acknowledges and fans out.
public struct CommitReceipt: Sendable, Equatable {
    public var committedSeqs: [SessionID: Seq]
    /// How many writes the transaction held (metrics).
    public var batchSize: Int
    /// Seconds the transaction took, commit included (metrics).
    public var duration: Double

    public init(committedSeqs: [SessionID: Seq], batchSize: Int, duration: Double) {
        self.committedSeqs = committedSeqs
        self.batchSize = batchSize
        self.duration = duration
    }
}

/// What the engine needs from disk when the server starts: every session that is not closed, the organizations
/// of those sessions (regions decide routing), and each staff member's last availability.
public struct RecoveredState: Sendable, Equatable {
    /// The next session id to allocate (max id + 1).
    public var nextSessionID: SessionID
    public var openSessions: [RecoveredSession]
    /// The organizations of the open sessions.
    public var organizations: [OrganizationRecord]
    /// Staff who were last seen with a status, with their identity (agents of open sessions among them).
    public var staff: [RecoveredStaff]

    public init(nextSessionID: SessionID, openSessions: [RecoveredSession], organizations: [OrganizationRecord] = [],
                staff: [RecoveredStaff] = []) {
        self.nextSessionID = nextSessionID
        self.openSessions = openSessions
        self.organizations = organizations
        self.staff = staff
    }

    public static let empty = RecoveredState(nextSessionID: 1, openSessions: [])
}

/// A staff member's availability as last stored.
public struct RecoveredStaff: Sendable, Equatable {
    public var identity: StaffIdentity
    public var status: AgentStatus

    public init(identity: StaffIdentity, status: AgentStatus) {
        self.identity = identity
        self.status = status
    }
}

public struct RecoveredSession: Sendable, Equatable {
    public var record: ChatSessionRecord
    /// The highest committed seq.
    public var lastSeq: Seq
    /// The most recent events (at most the engine's tail size), oldest first.
    public var tail: [SessionEvent]
    /// Every client message id used in the session by each author, with the seq it got (idempotent resends).
    public var clientMessageIDs: [ClientMessageKey: Seq]
    /// How far the customer and the agent side have read.
    public var customerReadSeq: Seq
    public var agentReadSeq: Seq

    public init(record: ChatSessionRecord, lastSeq: Seq, tail: [SessionEvent], clientMessageIDs: [ClientMessageKey: Seq],
                customerReadSeq: Seq = 0, agentReadSeq: Seq = 0) {
        self.record = record
        self.lastSeq = lastSeq
        self.tail = tail
        self.clientMessageIDs = clientMessageIDs
        self.customerReadSeq = customerReadSeq
        self.agentReadSeq = agentReadSeq
    }
}

/// A session as storage holds it, for answers about chats that are not in memory (closed and evicted, or
/// asked for by an unknown id): the record with what a summary and the access rules need.
public struct StoredSession: Sendable, Equatable {
    public var record: ChatSessionRecord
    public var lastSeq: Seq
    public var customerReadSeq: Seq
    public var agentReadSeq: Seq
    /// Staff ever assigned to the chat (joined or transferred to), among those asked about: storage checks
    /// only the staff member asking (one index lookup), which is all the access rules need.
    public var handledBy: Set<StaffID>

    public init(record: ChatSessionRecord, lastSeq: Seq, customerReadSeq: Seq = 0, agentReadSeq: Seq = 0,
                handledBy: Set<StaffID> = []) {
        self.record = record
        self.lastSeq = lastSeq
        self.customerReadSeq = customerReadSeq
        self.agentReadSeq = agentReadSeq
        self.handledBy = handledBy
    }
}

/// One page of a session's stored events, read for a replay (`Effect.loadHistory`).
public struct HistoryPage: Sendable, Equatable {
    /// The session, or nil when storage has no such session.
    public var session: StoredSession?
    /// Events with seq > the requested `afterSeq`, in order, at most the page size.
    public var events: [SessionEvent]
    /// True when no stored event follows the last one of `events` (as of the read).
    public var isLast: Bool

    public init(session: StoredSession?, events: [SessionEvent], isLast: Bool) {
        self.session = session
        self.events = events
        self.isLast = isLast
    }
}
