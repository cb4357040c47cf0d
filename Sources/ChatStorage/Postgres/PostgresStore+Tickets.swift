import ChatCore
import Foundation

// Tickets on PostgreSQL. Every change reads the ticket with `FOR UPDATE`, decides with `TicketRules` and writes the
// ticket row and its history entries inside ONE transaction: two nodes (or two threads) changing one ticket are
// serialized on its row lock and the second decides on the first one's result, as with SQLite's single writer.
//
// Threading: blocking, thread-safe (a pooled connection per call); never on the lws service thread.
extension PostgresStore {
    // MARK: Reads

    /// The ticket with this number, or nil.
    public func ticket(number: Int64) throws -> Ticket? {
        try pool.with { try Self.fetchTicket($0, number, locking: false) }
    }

    /// A ticket's history, oldest first (by seq). Empty for an unknown ticket.
    public func ticketHistory(number: Int64) throws -> [TicketHistoryEntry] {
        try pool.with { connection in
            try PGSupervisionRows.all(try connection.execute(
                "SELECT * FROM ticket_history WHERE ticket_number = $1 ORDER BY seq", [.int(number)]),
                PGSupervisionRows.historyEntry)
        }
    }

    /// Tickets matching `filter`, newest first (by creation time, then number), one page of them.
    public func tickets(matching filter: TicketFilter) throws -> [Ticket] {
        var statement = PGStatement()
        var conditions: [String] = []
        if let organizationID = filter.organizationID {
            conditions.append("organization_id = \(statement.bind(.text(organizationID)))")
        }
        if let contactID = filter.contactID { conditions.append("contact_id = \(statement.bind(.text(contactID)))") }
        if let status = filter.status { conditions.append("status = \(statement.bind(.text(status.rawValue)))") }
        if let severity = filter.severity { conditions.append("severity = \(statement.bind(.int(Int64(severity))))") }
        if let urgent = filter.urgent { conditions.append("urgent = \(statement.bind(.bool(urgent)))") }
        if let dueBefore = filter.dueBefore {
            // Matches the partial index tickets_by_first_response_due.
            conditions.append("""
                first_responded_at IS NULL AND first_response_due < \(statement.bind(pg(dueBefore)))
                AND status <> \(statement.bind(.text(TicketStatus.closed.rawValue)))
                """)
        }
        if let assigneeID = filter.assigneeID {
            conditions.append("assignee_id = \(statement.bind(.int(assigneeID)))")
        } else if filter.unassignedOnly {
            conditions.append("assignee_id IS NULL")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT * FROM tickets \(whereClause) ORDER BY created_at DESC, number DESC
            LIMIT \(statement.bind(.int(Int64(filter.effectiveLimit)))) OFFSET \(statement.bind(.int(Int64(filter.effectiveOffset))))
            """
        return try pool.with { connection in
            try PGSupervisionRows.all(try connection.execute(sql, statement.parameters), PGSupervisionRows.ticket)
        }
    }

    // MARK: Writes

    /// Opens a ticket: assigns its number and writes its `created` history entry in the same transaction.
    public func createTicket(_ draft: TicketDraft) throws -> Ticket {
        try createTicketOnce(draft, onCall: nil).ticket
    }

    /// Creates a ticket unless one was already created for the same request (`draft.requestClientID` of the same
    /// organization and contact): then that one is returned with `created` false and nothing is written. For a
    /// new ticket with `onCall`, its alert is queued in the outbox in the same transaction (or suppressed by the
    /// organization's daily limit, recorded in its history). Race-free across nodes: `tickets_by_request` is
    /// unique and the insert is `ON CONFLICT DO NOTHING`.
    public func createTicketOnce(_ draft: TicketDraft, onCall: OnCallRequest?)
        throws -> (ticket: Ticket, created: Bool, onCall: OnCallQueueing) {
        try pool.with { connection in
            try connection.transaction { c in
                let inserted = try c.execute("""
                    INSERT INTO tickets (organization_id, contact_id, customer_name, customer_email, subject, product_id,
                                         category, severity, urgent, status, session_id, converted_by_id, converted_by_name,
                                         created_at, first_response_due, first_responded_at, description, request_client_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
                    ON CONFLICT (organization_id, contact_id, request_client_id) WHERE request_client_id IS NOT NULL
                    DO NOTHING
                    RETURNING number
                    """, [.text(draft.organizationID), .text(draft.customer.contactID), .text(draft.customer.name),
                          .text(draft.customer.email), .text(draft.subject), .text(draft.productID),
                          .text(draft.category.rawValue), .int(Int64(draft.severity)), .bool(draft.urgent),
                          .text(draft.status.rawValue), pg(draft.sessionID), pg(draft.convertedBy?.id),
                          pg(draft.convertedBy?.name), pg(draft.createdAt), pg(draft.firstResponseDue),
                          pg(draft.firstRespondedAt), .text(draft.description), pg(draft.requestClientID)])
                guard inserted.count == 1, let number = inserted.int(0, 0) else {
                    let existing = try c.execute("""
                        SELECT t.*, (SELECT COUNT(*) FROM oncall_outbox o WHERE o.ticket_number = t.number) AS queued
                        FROM tickets t WHERE organization_id = $1 AND contact_id = $2 AND request_client_id = $3
                        """, [.text(draft.organizationID), .text(draft.customer.contactID), pg(draft.requestClientID)])
                    guard existing.count == 1 else { throw StorageError.notFound("The ticket of this request") }
                    return (try PGSupervisionRows.ticket(existing, 0), false,
                            (existing.int(0, "queued") ?? 0) > 0 ? .queued : .notRequested)
                }
                let ticket = draft.ticket(number: number)
                let created = TicketChange(kind: .created, toStatus: draft.status,
                                           text: draft.sessionID.map { "Converted from chat \($0)." })
                try Self.insertHistory(c, created.entry(ticketNumber: number, seq: 1, at: draft.createdAt,
                                                        actor: draft.createdBy))
                guard let onCall else { return (ticket, true, .notRequested) }
                return (ticket, true, try Self.queueOnCallAlert(c, ticket: ticket, organizationName: onCall.organizationName,
                                                                perDay: onCall.perDay, now: onCall.now))
            }
        }
    }

    /// Moves a ticket to `status` on behalf of `actor`, following the policy's workflow, and records it.
    /// Throws `StorageError` `not_found`, or `TicketRules`' `ChatError`s; nothing is written then.
    @discardableResult
    public func changeTicketStatus(number: Int64, to status: TicketStatus, actor: Participant, at instant: Date,
                                   policy: SupportPolicy) throws -> TicketUpdate {
        try pool.with { connection in
            try connection.transaction { c in
                let ticket = try Self.requireTicket(c, number)
                let decision = try TicketRules.changeStatus(ticket, to: status, by: actor, policy: policy)
                return try Self.apply(decision, actor: actor, at: instant, c)
            }
        }
    }

    /// Records a reply from `actor`, with its automatic effects (see `TicketRules.reply`).
    @discardableResult
    public func replyToTicket(number: Int64, actor: Participant, text: String, at instant: Date,
                              policy: SupportPolicy) throws -> TicketUpdate {
        try pool.with { connection in
            try connection.transaction { c in
                let ticket = try Self.requireTicket(c, number)
                let decision = try TicketRules.reply(to: ticket, by: actor, text: text, at: instant, policy: policy)
                return try Self.apply(decision, actor: actor, at: instant, c)
            }
        }
    }

    /// Appends an entry that does not change the ticket itself (a note, an on-call notification or failure ...).
    /// Throws `not_found` for an unknown ticket, `invalid_entry` for `created` and `status_changed`.
    @discardableResult
    public func appendTicketHistory(number: Int64, kind: TicketHistoryKind, text: String?, actor: Participant,
                                    at instant: Date) throws -> TicketHistoryEntry {
        if kind == .created || kind == .statusChanged {
            throw StorageError(code: "invalid_entry",
                               message: "A \(kind.rawValue) entry is written only with the change it records.")
        }
        return try pool.with { connection in
            try connection.transaction { c in
                _ = try Self.requireTicket(c, number)
                let entry = TicketChange(kind: kind, text: text)
                    .entry(ticketNumber: number, seq: try Self.lastHistorySeq(c, number) + 1, at: instant, actor: actor)
                try Self.insertHistory(c, entry)
                return entry
            }
        }
    }

    // MARK: Inside a transaction

    static func fetchTicket(_ c: PGConnection, _ number: Int64, locking: Bool) throws -> Ticket? {
        let rows = try c.execute("SELECT * FROM tickets WHERE number = $1\(locking ? " FOR UPDATE" : "")", [.int(number)])
        return rows.count == 1 ? try PGSupervisionRows.ticket(rows, 0) : nil
    }

    /// The ticket, locked until the transaction ends.
    static func requireTicket(_ c: PGConnection, _ number: Int64) throws -> Ticket {
        guard let ticket = try fetchTicket(c, number, locking: true) else { throw StorageError.notFound("Ticket \(number)") }
        return ticket
    }

    /// The last history seq of a ticket the transaction has locked (so no other writer appends meanwhile).
    static func lastHistorySeq(_ c: PGConnection, _ number: Int64) throws -> Int64 {
        try c.execute("SELECT COALESCE(MAX(seq), 0) FROM ticket_history WHERE ticket_number = $1", [.int(number)]).int(0, 0) ?? 0
    }

    static func insertHistory(_ c: PGConnection, _ entry: TicketHistoryEntry) throws {
        try c.execute("""
            INSERT INTO ticket_history (ticket_number, seq, at, actor_role, actor_id, actor_name, kind, from_status,
                                        to_status, text)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, [.int(entry.ticketNumber), .int(entry.seq), pg(entry.at), .text(entry.actor.role.rawValue),
                  .text(entry.actor.id), .text(entry.actor.name), .text(entry.kind.rawValue),
                  pg(entry.fromStatus?.rawValue), pg(entry.toStatus?.rawValue), pg(entry.text)])
    }

    private static func apply(_ decision: TicketRules.Decision, actor: Participant, at instant: Date,
                              _ c: PGConnection) throws -> TicketUpdate {
        let ticket = decision.ticket
        try c.execute("UPDATE tickets SET status = $1, severity = $2, first_responded_at = $3 WHERE number = $4",
                      [.text(ticket.status.rawValue), .int(Int64(ticket.severity)), pg(ticket.firstRespondedAt),
                       .int(ticket.number)])
        var seq = try lastHistorySeq(c, ticket.number)
        var entries: [TicketHistoryEntry] = []
        for change in decision.changes {
            seq += 1
            let entry = change.entry(ticketNumber: ticket.number, seq: seq, at: instant, actor: actor)
            try insertHistory(c, entry)
            entries.append(entry)
        }
        return TicketUpdate(ticket: ticket, entries: entries)
    }
}
