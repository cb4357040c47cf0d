import ChatCore
import Foundation
import GRDB

/// Applies `StorageWrite`s inside one open transaction, preparing each statement once per transaction.
///
/// Confined to the database access closure it was made in (it holds that connection's statements).
///
/// Appended events also move their session's `last_seq` and `message_count`, and an agent named by an event or
/// a session row joins `session_agents` (the transcript listing reads both): `apply` only notes them, and
/// `flushAggregates()` writes them, one UPDATE per session and one INSERT OR IGNORE per (agent, session) pair.
/// Callers run `flushAggregates()` before the transaction commits, so the aggregates commit or roll back with
/// the writes they summarize, at one row update per session per transaction rather than one per event.
struct PreparedWrites {
    private let db: Database
    private var insertSession: Statement?
    private var updateSession: Statement?
    private var insertEvent: Statement?
    private var registerContact: Statement?
    private var upsertReadMarker: Statement?
    private var insertServiceOrder: Statement?
    private var upsertStaffStatus: Statement?
    private var updateAggregates: Statement?
    /// Per session: the highest seq appended in this transaction, and how many `message` events.
    private var pendingAggregates: [SessionID: (lastSeq: Seq, messages: Int)] = [:]
    private var insertSessionAgent: Statement?
    /// Agents named by this transaction's events and session rows, per session.
    private var pendingAgents: Set<SessionAgent> = []

    private struct SessionAgent: Hashable {
        var sessionID: SessionID
        var agentID: StaffID
    }

    init(_ db: Database) {
        self.db = db
    }

    /// Applies one write. Throws the SQLite error (a constraint violation for a duplicate event, for example), or
    /// `StorageError` `not_found` when updating a session that does not exist.
    mutating func apply(_ write: StorageWrite) throws {
        switch write {
        case .appendEvent(let event):
            try statement(&insertEvent, SessionEventRow.insertSQL)
                .execute(arguments: SessionEventRow.insertArguments(event))
            var tally = pendingAggregates[event.sessionID] ?? (lastSeq: 0, messages: 0)
            tally.lastSeq = max(tally.lastSeq, event.seq)
            if event.kind == .message { tally.messages += 1 }
            pendingAggregates[event.sessionID] = tally
            if let agent = event.agent { pendingAgents.insert(SessionAgent(sessionID: event.sessionID, agentID: agent.id)) }
        case .createSession(let record):
            try statement(&insertSession, SessionRow.insertSQL)
                .execute(arguments: SessionRow.insertArguments(record))
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
                DELETE FROM sessions WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM session_events WHERE session_id = ?1)
                """, arguments: [id])
        case let .staffStatus(staffID, status):
            try statement(&upsertStaffStatus, Self.upsertStaffStatusSQL)
                .execute(arguments: [staffID, status.rawValue, Date().timeIntervalSince1970])
        }
    }

    /// Writes the aggregates of the events applied since the last flush: one UPDATE per session. Call it last in
    /// the transaction (after every `apply`), before it commits.
    mutating func flushAggregates() throws {
        if !pendingAggregates.isEmpty {
            let update = try statement(&updateAggregates, Self.updateAggregatesSQL)
            for (sessionID, tally) in pendingAggregates {
                try update.execute(arguments: [tally.lastSeq, tally.messages, sessionID])
            }
            pendingAggregates.removeAll(keepingCapacity: true)
        }
        if !pendingAgents.isEmpty {
            let insert = try statement(&insertSessionAgent, Self.insertSessionAgentSQL)
            for pair in pendingAgents {
                try insert.execute(arguments: [pair.agentID, pair.sessionID])
            }
            pendingAgents.removeAll(keepingCapacity: true)
        }
    }

    /// `created_at` is copied from the row (a session's creation time never changes); nothing for a missing row.
    static let insertSessionAgentSQL = """
        INSERT OR IGNORE INTO session_agents (agent_id, created_at, session_id)
        SELECT ?1, created_at, id FROM sessions WHERE id = ?2
        """

    /// `max`: a flush must never move `last_seq` back, whatever order events were applied in.
    static let updateAggregatesSQL = """
        UPDATE sessions SET last_seq = max(last_seq, ?1), message_count = message_count + ?2 WHERE id = ?3
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
