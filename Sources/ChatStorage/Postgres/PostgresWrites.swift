import ChatCore
import Foundation

/// Applies `StorageWrite`s inside one open transaction of the writer's connection (the PostgreSQL counterpart of
/// `PreparedWrites`).
///
/// Appended events are gathered and inserted many rows per statement (`INSERT ... SELECT FROM unnest(...)`), before
/// any write that depends on them (`abandonSession`) and at `finish()`. The session aggregates (`last_seq`,
/// `message_count`, `first_joined_at`, `first_agent_reply_at`) and the (agent, session) pairs of `session_agents`
/// are written by `finish()`, in the same transaction: one statement each per transaction.
///
/// An appended event must be its session's next seq: checked against this transaction's own appends, or the stored
/// `sessions.last_seq` (read once per transaction for every session the batch appends to; exact, since it moves
/// with the events). A duplicate or a gap throws `seq_out_of_order`; a duplicate that slipped past (two writers)
/// hits the key (session_id, seq), and a reused client message id the unique index: both fail the write alone.
///
/// Confined to the writer thread, like the connection it holds.
struct PostgresWrites {
    private let connection: PGConnection
    /// The last seq of each session the batch appends to, as stored before this transaction.
    private var storedLastSeqs: [SessionID: Seq] = [:]
    /// The last seq of each session this transaction created or appended to.
    private(set) var appendedSeqs: [SessionID: Seq] = [:]
    private var pendingEvents: [SessionEvent] = []
    private var aggregates: [SessionID: Aggregate] = [:]
    private var agents: Set<SessionAgent> = []

    private struct SessionAgent: Hashable {
        var sessionID: SessionID
        var agentID: StaffID
    }

    private struct Aggregate {
        var lastSeq: Seq = 0
        var messages: Int64 = 0
        var joined: Double?
        var replied: Double?
    }

    /// Reads the stored last seq of every session `batch` appends to (one statement).
    init(_ connection: PGConnection, batch: [StorageWrite]) throws {
        self.connection = connection
        var sessions = Set<SessionID>()
        for case .appendEvent(let event) in batch { sessions.insert(event.sessionID) }
        guard !sessions.isEmpty else { return }
        let rows = try connection.execute("SELECT id, last_seq FROM sessions WHERE id = ANY($1::bigint[])",
                                          [PGRows.intArray(sessions.map { $0 })])
        for row in 0..<rows.count {
            if let id = rows.int(row, 0) { storedLastSeqs[id] = rows.int(row, 1) ?? 0 }
        }
    }

    /// Applies one write (events are only gathered). Throws `StorageError` (`seq_out_of_order`, `not_found`,
    /// `invalid_text`) or the server's `PGError`.
    mutating func apply(_ write: StorageWrite) throws {
        switch write {
        case .appendEvent(let event):
            let last = appendedSeqs[event.sessionID] ?? storedLastSeqs[event.sessionID] ?? 0
            guard event.seq == last + 1 else {
                throw StorageError.seqOutOfOrder(event.sessionID, seq: event.seq, expected: last + 1)
            }
            appendedSeqs[event.sessionID] = event.seq
            pendingEvents.append(event)
            if let agent = event.agent { agents.insert(SessionAgent(sessionID: event.sessionID, agentID: agent.id)) }
        case .createSession(let record):
            try connection.execute("""
                INSERT INTO sessions (id, organization_id, contact_id, customer_name, customer_email, product_id, subject,
                                      state, agent_id, agent_name, created_at, queued_at, closed_at, request_client_id,
                                      budget_limit, budget_used, budget_running_since, budget_stage, pending_proposal,
                                      ticket_number, wait_offer)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
                """, try [pg(record.id), text(record.organizationID), text(record.customer.contactID),
                          text(record.customer.name), text(record.customer.email), text(record.productID),
                          text(record.subject), pg(record.state.rawValue), pg(record.agent?.id),
                          text(record.agent?.name), pg(record.createdAt), pg(record.queuedAt), pg(record.closedAt),
                          text(record.requestClientID), pg(record.budget.limitSeconds), pg(record.budget.usedSeconds),
                          pg(record.budget.runningSince), pg(record.budget.stage.rawValue),
                          text(ProposalJSON.encode(record.pendingProposal)), pg(record.ticketNumber),
                          pg(record.waitOffer.rawValue)])
            appendedSeqs[record.id] = 0
            if let agent = record.agent { agents.insert(SessionAgent(sessionID: record.id, agentID: agent.id)) }
        case .updateSession(let record):
            let result = try connection.execute("""
                UPDATE sessions SET state = $1, agent_id = $2, agent_name = $3, queued_at = $4, closed_at = $5,
                       budget_limit = $6, budget_used = $7, budget_running_since = $8, budget_stage = $9,
                       pending_proposal = $10, ticket_number = $11, wait_offer = $12
                WHERE id = $13
                """, try [pg(record.state.rawValue), pg(record.agent?.id), text(record.agent?.name), pg(record.queuedAt),
                          pg(record.closedAt), pg(record.budget.limitSeconds), pg(record.budget.usedSeconds),
                          pg(record.budget.runningSince), pg(record.budget.stage.rawValue),
                          text(ProposalJSON.encode(record.pendingProposal)), pg(record.ticketNumber),
                          pg(record.waitOffer.rawValue), pg(record.id)])
            if result.affectedRows == 0 { throw StorageError.notFound("The session \(record.id)") }
            if let agent = record.agent { agents.insert(SessionAgent(sessionID: record.id, agentID: agent.id)) }
        case .registerContact(let organizationID, let contactID):
            try connection.execute("""
                INSERT INTO organization_contacts (organization_id, contact_id, registered_at) VALUES ($1, $2, $3)
                ON CONFLICT DO NOTHING
                """, try [text(organizationID), text(contactID), pg(Date())])
        case .readMarker(let sessionID, let role, let seq):
            // Markers only move forward: a late or reordered write never lowers one.
            try connection.execute("""
                INSERT INTO read_markers (session_id, role, seq) VALUES ($1, $2, $3)
                ON CONFLICT (session_id, role) DO UPDATE SET seq = GREATEST(read_markers.seq, excluded.seq)
                """, [pg(sessionID), pg(role.rawValue), pg(seq)])
        case .recordServiceOrder(let order):
            try connection.execute("""
                INSERT INTO service_orders (session_id, organization_id, contact_id, description, rate_id, hourly_rate,
                                            currency, estimate_hours, proposed_by, accepted_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                """, try [pg(order.sessionID), text(order.organizationID), text(order.contactID),
                          text(order.proposal.description), text(order.proposal.rateID), pg(order.proposal.hourlyRate),
                          text(order.proposal.currency), pg(order.proposal.estimateHours),
                          pg(order.proposal.proposedBy.id), pg(order.acceptedAt)])
        case .abandonSession(let id):
            try flushEvents()
            try connection.execute("""
                DELETE FROM sessions WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM events WHERE session_id = $1)
                """, [pg(id)])
        case let .staffStatus(staffID, status):
            // A status of a staff account deleted meanwhile is ignored (nothing to restore).
            try connection.execute("""
                INSERT INTO staff_status (staff_id, status, changed_at)
                SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM staff WHERE id = $1)
                ON CONFLICT (staff_id) DO UPDATE SET status = excluded.status, changed_at = excluded.changed_at
                """, [pg(staffID), pg(status.rawValue), pg(Date())])
        }
    }

    /// Inserts the gathered events, then moves the session aggregates and records the (agent, session) pairs.
    /// Call it last in the transaction, before it commits.
    mutating func finish() throws {
        try flushEvents()
        if !aggregates.isEmpty {
            let entries = Array(aggregates)
            try connection.execute("""
                UPDATE sessions s SET last_seq = GREATEST(s.last_seq, t.last_seq),
                       message_count = s.message_count + t.messages,
                       first_joined_at = COALESCE(s.first_joined_at, t.joined),
                       first_agent_reply_at = COALESCE(s.first_agent_reply_at, t.replied)
                FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[])
                     AS t(id, last_seq, messages, joined, replied)
                WHERE s.id = t.id
                """, [PGRows.intArray(entries.map { $0.key }), PGRows.intArray(entries.map { $0.value.lastSeq }),
                      PGRows.intArray(entries.map { $0.value.messages }),
                      PGRows.doubleArray(entries.map { $0.value.joined }),
                      PGRows.doubleArray(entries.map { $0.value.replied })])
            aggregates.removeAll()
        }
        if !agents.isEmpty {
            let pairs = Array(agents)
            // `created_at` is copied from the row (a session's creation time never changes); nothing for a missing row.
            try connection.execute("""
                INSERT INTO session_agents (agent_id, created_at, session_id)
                SELECT t.agent_id, s.created_at, s.id
                FROM unnest($1::bigint[], $2::bigint[]) AS t(agent_id, session_id) JOIN sessions s ON s.id = t.session_id
                ON CONFLICT DO NOTHING
                """, [PGRows.intArray(pairs.map(\.agentID)), PGRows.intArray(pairs.map(\.sessionID))])
            agents.removeAll()
        }
    }

    /// Inserts the gathered events in one statement, their attachments' rows, and notes their aggregates.
    private mutating func flushEvents() throws {
        guard !pendingEvents.isEmpty else { return }
        let events = pendingEvents
        pendingEvents.removeAll(keepingCapacity: true)
        try connection.execute("""
            INSERT INTO events (session_id, seq, at, kind, author_role, author_id, author_name, text, client_msg_id,
                                agent_id, agent_name, reason, ticket_number, proposal, attachment)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::text[], $9::text[], $10::bigint[], $11::text[], $12::text[], $13::bigint[],
                                 $14::text[], $15::text[])
            """, [PGRows.intArray(events.map(\.sessionID)), PGRows.intArray(events.map(\.seq)),
                  PGRows.doubleArray(events.map { $0.at.timeIntervalSince1970 }),
                  try PGRows.textArray(events.map(\.kind.rawValue)), try PGRows.textArray(events.map(\.author.role.rawValue)),
                  try PGRows.textArray(events.map(\.author.id)), try PGRows.textArray(events.map(\.author.name)),
                  try PGRows.textArray(events.map(\.text)), try PGRows.textArray(events.map(\.clientMessageID)),
                  PGRows.intArray(events.map { $0.agent?.id }), try PGRows.textArray(events.map { $0.agent?.name }),
                  try PGRows.textArray(events.map(\.reason)), PGRows.intArray(events.map(\.ticketNumber)),
                  try PGRows.textArray(events.map { ProposalJSON.encode($0.proposal) }),
                  try PGRows.textArray(events.map { AttachmentJSON.encode($0.attachment) })])
        for event in events {
            var aggregate = aggregates[event.sessionID] ?? Aggregate()
            aggregate.lastSeq = max(aggregate.lastSeq, event.seq)
            let at = event.at.timeIntervalSince1970
            if event.kind == .message {
                aggregate.messages += 1
                if event.author.role == .agent || event.author.role == .supervisor {
                    aggregate.replied = min(aggregate.replied ?? at, at)
                }
            }
            if event.kind == .joined { aggregate.joined = min(aggregate.joined ?? at, at) }
            aggregates[event.sessionID] = aggregate
            if let file = event.attachment {
                try connection.execute("""
                    INSERT INTO attachments (session_id, seq, sha256, name, type, size) VALUES ($1, $2, $3, $4, $5, $6)
                    """, try [pg(event.sessionID), pg(event.seq), text(file.sha256), text(file.name), text(file.type),
                              pg(Int64(file.size))])
            }
        }
    }

    /// A text parameter, refused (`invalid_text`, this write's own failure) if PostgreSQL cannot store it.
    private func text(_ value: String?) throws -> PGValue? {
        guard let value else { return nil }
        try PGRows.checkText(value)
        return .text(value)
    }
}
