import ChatCore
import Foundation
import GRDB

/// Applies `StorageWrite`s inside one open transaction, preparing each statement once per transaction.
///
/// Confined to the database access closure it was made in (it holds that connection's statements).
///
/// Appended events go to the end of `events` (v9-event-log) with ids that only grow: after the largest id stored
/// and after `indexed_through`, so an event is never mistaken for an indexed one, even if the newest events were
/// ever deleted. Their index entries and session aggregates are written later, many at a time
/// (`ChatStore.indexTail`). An agent named by an event or a session row joins `session_agents` (the transcript
/// listing and access checks read it): `apply` only notes the pairs, and `flushAgents()` writes them, one INSERT OR
/// IGNORE per (agent, session) pair the writer has not stored before. Callers run `flushAgents()` before the
/// transaction commits.
///
/// The log has no unique key on (session, seq), so an appended event must be its session's next seq: checked
/// against `committedSeqs` (the writer's memory of what committed), this transaction's own appends, or, for a
/// session the writer has not seen since it started, the stored last seq. A duplicate or a gap fails the write
/// (`seq_out_of_order`), as the old primary key did for duplicates.
struct PreparedWrites {
    private let db: Database
    private var insertSession: Statement?
    private var updateSession: Statement?
    private var insertEvent: Statement?
    private var registerContact: Statement?
    private var upsertReadMarker: Statement?
    private var insertServiceOrder: Statement?
    private var upsertStaffStatus: Statement?
    private var insertAttachment: Statement?
    /// The id the next appended event gets: the writer's memory of it, else read from the database at the first
    /// append of the transaction.
    private(set) var nextEventID: Int64?
    /// What the tail flush needs of each event appended through this value (in id order).
    private(set) var appendedTail: [TailEntry] = []
    private var insertSessionAgent: Statement?
    /// Agents named by this transaction's events and session rows, per session.
    private var pendingAgents: Set<SessionAgent> = []
    /// Pairs the writer knows are stored (read only): not written again.
    private let storedAgents: Set<SessionAgent>
    /// Pairs this transaction wrote; merged into the writer's `storedAgents` once it commits.
    private(set) var writtenAgents: [SessionAgent] = []

    /// An (agent, session) row of `session_agents`.
    struct SessionAgent: Hashable {
        var sessionID: SessionID
        var agentID: StaffID
    }

    /// The last seq of each session as committed before this transaction (read only: never copied).
    private let committedSeqs: [SessionID: Seq]
    /// The last seq of each session this transaction created or appended to; merged into the writer's
    /// `committedSeqs` once it commits.
    private(set) var appendedSeqs: [SessionID: Seq] = [:]

    init(_ db: Database, committedSeqs: [SessionID: Seq] = [:], nextEventID: Int64? = nil,
         storedAgents: Set<SessionAgent> = []) {
        self.db = db
        self.committedSeqs = committedSeqs
        self.nextEventID = nextEventID
        self.storedAgents = storedAgents
    }

    /// Applies one write. Throws the SQLite error (a constraint violation for a duplicate event, for example), or
    /// `StorageError` `not_found` when updating a session that does not exist.
    mutating func apply(_ write: StorageWrite) throws {
        switch write {
        case .appendEvent(let event):
            let last = try appendedSeqs[event.sessionID] ?? committedSeqs[event.sessionID]
                ?? EventReads.aggregates(db, sessionID: event.sessionID).lastSeq
            guard event.seq == last + 1 else {
                throw StorageError.seqOutOfOrder(event.sessionID, seq: event.seq, expected: last + 1)
            }
            let id = try nextEventID ?? Self.firstFreeEventID(db)
            try EventInsert.execute(statement(&insertEvent, SessionEventRow.insertSQL), event, id: id)
            nextEventID = id + 1
            appendedTail.append(TailEntry(event, id: id))
            appendedSeqs[event.sessionID] = event.seq
            if let agent = event.agent { pendingAgents.insert(SessionAgent(sessionID: event.sessionID, agentID: agent.id)) }
            if let file = event.attachment {
                try statement(&insertAttachment, Self.insertAttachmentSQL).execute(arguments: [
                    event.sessionID, event.seq, file.sha256, file.name, file.type, file.size])
            }
        case .createSession(let record):
            try statement(&insertSession, SessionRow.insertSQL)
                .execute(arguments: SessionRow.insertArguments(record))
            appendedSeqs[record.id] = 0
            if let agent = record.agent { pendingAgents.insert(SessionAgent(sessionID: record.id, agentID: agent.id)) }
        case .updateSession(let record):
            try statement(&updateSession, SessionRow.updateSQL)
                .execute(arguments: SessionRow.updateArguments(record))
            if db.changesCount == 0 {
                throw StorageError.notFound("The session \(record.id)")
            }
            if let agent = record.agent { pendingAgents.insert(SessionAgent(sessionID: record.id, agentID: agent.id)) }
        case .registerContact(let organizationID, let contactID):
            try statement(&registerContact, OrganizationContactRow.insertOrIgnoreSQL)
                .execute(arguments: [organizationID, contactID, Date().timeIntervalSince1970])
        case .readMarker(let sessionID, let role, let seq):
            try statement(&upsertReadMarker, ReadMarkerRow.upsertSQL)
                .execute(arguments: [sessionID, role.rawValue, seq])
        case .recordServiceOrder(let order):
            try statement(&insertServiceOrder, Self.insertServiceOrderSQL).execute(arguments: [
                order.sessionID, order.organizationID, order.contactID, order.proposal.description, order.proposal.rateID,
                order.proposal.hourlyRate, order.proposal.currency, order.proposal.estimateHours,
                order.proposal.proposedBy.id, order.acceptedAt.timeIntervalSince1970])
        case .abandonSession(let id):
            try db.execute(sql: """
                DELETE FROM sessions WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM event_index WHERE session_id = ?1)
                AND NOT EXISTS (SELECT 1 FROM events WHERE id > ?2 AND session_id = ?1)
                """, arguments: [id, try EventReads.indexedThrough(db)])
        case let .staffStatus(staffID, status):
            try statement(&upsertStaffStatus, Self.upsertStaffStatusSQL)
                .execute(arguments: [staffID, status.rawValue, Date().timeIntervalSince1970])
        }
    }

    /// Writes the (agent, session) pairs noted since the last flush. Call it last in the transaction (after every
    /// `apply`), before it commits.
    mutating func flushAgents() throws {
        if !pendingAgents.isEmpty {
            let insert = try statement(&insertSessionAgent, Self.insertSessionAgentSQL)
            for pair in pendingAgents where !storedAgents.contains(pair) {
                try insert.execute(arguments: [pair.agentID, pair.sessionID])
                // Remembered only when this insert stored it (never for a session row that is missing).
                if db.changesCount > 0 { writtenAgents.append(pair) }
            }
            pendingAgents.removeAll(keepingCapacity: true)
        }
    }

    static let insertAttachmentSQL = """
        INSERT INTO attachments (session_id, seq, sha256, name, type, size) VALUES (?, ?, ?, ?, ?, ?)
        """

    static func firstFreeEventID(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT max(COALESCE((SELECT MAX(id) FROM events), 0),
                       COALESCE((SELECT indexed_through FROM event_index_state WHERE id = 1), 0)) + 1
            """)) ?? 1
    }

    /// `created_at` is copied from the row (a session's creation time never changes); nothing for a missing row.
    static let insertSessionAgentSQL = """
        INSERT OR IGNORE INTO session_agents (agent_id, created_at, session_id)
        SELECT ?1, created_at, id FROM sessions WHERE id = ?2
        """

    /// A status of a staff account deleted meanwhile is ignored (nothing to restore).
    static let upsertStaffStatusSQL = """
        INSERT INTO staff_status (staff_id, status, changed_at) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM staff WHERE id = ?1)
        ON CONFLICT(staff_id) DO UPDATE SET status = excluded.status, changed_at = excluded.changed_at
        """

    static let insertServiceOrderSQL = """
        INSERT INTO service_orders (session_id, organization_id, contact_id, description, rate_id, hourly_rate, currency,
                                    estimate_hours, proposed_by, accepted_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    private func statement(_ slot: inout Statement?, _ sql: String) throws -> Statement {
        if let statement = slot { return statement }
        let statement = try db.cachedStatement(sql: sql)
        slot = statement
        return statement
    }
}
