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

/// What the engine needs from disk when the server starts: every session that is not closed.
public struct RecoveredState: Sendable, Equatable {
    /// The next session id to allocate (max id + 1).
    public var nextSessionID: SessionID
    public var openSessions: [RecoveredSession]

    public init(nextSessionID: SessionID, openSessions: [RecoveredSession]) {
        self.nextSessionID = nextSessionID
        self.openSessions = openSessions
    }

    public static let empty = RecoveredState(nextSessionID: 1, openSessions: [])
}

public struct RecoveredSession: Sendable, Equatable {
    public var record: ChatSessionRecord
    /// The highest committed seq.
    public var lastSeq: Seq
    /// The most recent events (at most the engine's tail size), oldest first.
    public var tail: [SessionEvent]
    /// Every client message id used in the session, with the seq it got (for idempotent resends).
    public var clientMessageIDs: [String: Seq]

    public init(record: ChatSessionRecord, lastSeq: Seq, tail: [SessionEvent], clientMessageIDs: [String: Seq]) {
        self.record = record
        self.lastSeq = lastSeq
        self.tail = tail
        self.clientMessageIDs = clientMessageIDs
    }
}
