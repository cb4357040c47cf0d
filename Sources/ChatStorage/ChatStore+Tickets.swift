import ChatCore
import Foundation
import GRDB

// Tickets. Every change reads the ticket, decides with `TicketRules` and writes the ticket row and its history
// entries inside ONE write transaction. SQLite has a single writer, so two concurrent changes are serialized and
// the second one decides on the first one's result: no lost update, no history entry that contradicts the row.

extension ChatStore {
    // MARK: Reads

    /// The ticket with this number, or nil.
    ///
    /// Blocking; any thread but the lws service thread.
    public func ticket(number: Int64) throws -> Ticket? {
        try dbPool.read { db in try Self.fetchTicket(db, number) }
    }

    /// A ticket's history, oldest first (by seq). Empty for an unknown ticket.
    ///
    /// Blocking; any thread but the lws service thread.
    public func ticketHistory(number: Int64) throws -> [TicketHistoryEntry] {
        try dbPool.read { db in
            try TicketHistoryRow.fetchAll(db, sql: "SELECT * FROM ticket_history WHERE ticket_number = ? ORDER BY seq",
                                          arguments: [number])
        }.map(\.entry)
    }

    /// Tickets matching `filter`, newest first (by creation time, then number), one page of them.
    ///
    /// Blocking; any thread but the lws service thread.
    public func tickets(matching filter: TicketFilter) throws -> [Ticket] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let organizationID = filter.organizationID {
            conditions.append("organization_id = ?")
            arguments += [organizationID]
        }
        if let contactID = filter.contactID {
            conditions.append("contact_id = ?")
            arguments += [contactID]
        }
        if let status = filter.status {
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        if let severity = filter.severity {
            conditions.append("severity = ?")
            arguments += [severity]
        }
        if let urgent = filter.urgent {
            conditions.append("urgent = ?")
            arguments += [urgent]
        }
        if let dueBefore = filter.dueBefore {
            // Matches the partial index tickets_by_first_response_due.
            conditions.append("first_responded_at IS NULL AND first_response_due < ? AND status <> ?")
            arguments += [dueBefore.timeIntervalSince1970, TicketStatus.closed.rawValue]
        }
        if let assigneeID = filter.assigneeID {
            conditions.append("assignee_id = ?")
            arguments += [assigneeID]
        } else if filter.unassignedOnly {
            conditions.append("assignee_id IS NULL")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [filter.effectiveLimit, filter.effectiveOffset]
        let sql = """
            SELECT * FROM tickets \(whereClause) ORDER BY created_at DESC, number DESC LIMIT ? OFFSET ?
            """
        return try dbPool.read { db in try TicketRow.fetchAll(db, sql: sql, arguments: arguments) }.map(\.ticket)
    }

    // MARK: Writes

    /// Opens a ticket: assigns its number and writes its `created` history entry (seq 1, by `draft.createdBy`,
    /// naming the chat when converted from one) in the same transaction.
    /// The caller has validated the draft (`TicketRules.validateNew`).
    ///
    /// Blocking; any thread but the lws service thread.
    public func createTicket(_ draft: TicketDraft) throws -> Ticket {
        try createTicketOnce(draft).ticket
    }

    /// Creates a ticket unless one was already created for the same request (`draft.requestClientID` of the
    /// same organization and contact): then that one is returned with `created` false, and nothing is written.
    ///
    /// Blocking; any thread but the lws service thread. Race-free: the check and the insert are one transaction
    /// of the single writer, and a unique index backs it.
    public func createTicketOnce(_ draft: TicketDraft) throws -> (ticket: Ticket, created: Bool) {
        let result = try createTicketOnce(draft, onCall: nil)
        return (result.ticket, result.created)
    }

    /// `createTicketOnce`, and for a new ticket with `onCall`, its alert queued in the outbox in the same
    /// transaction (or suppressed by the organization's daily limit, recorded in its history).
    public func createTicketOnce(_ draft: TicketDraft, onCall: OnCallRequest?)
        throws -> (ticket: Ticket, created: Bool, onCall: OnCallQueueing) {
        try dbPool.write { db in
            if let clientID = draft.requestClientID,
               let number = try Int64.fetchOne(db, sql: """
                   SELECT number FROM tickets WHERE organization_id = ? AND contact_id = ? AND request_client_id = ?
                   """, arguments: [draft.organizationID, draft.customer.contactID, clientID]),
               let existing = try Self.fetchTicket(db, number) {
                let queued = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM oncall_outbox WHERE ticket_number = ?",
                                              arguments: [number]) ?? 0
                return (existing, false, queued > 0 ? .queued : .notRequested)
            }
            try db.execute(sql: TicketRow.insertSQL, arguments: TicketRow.insertArguments(draft))
            let ticket = draft.ticket(number: db.lastInsertedRowID)
            if let clientID = draft.requestClientID {
                try db.execute(sql: "UPDATE tickets SET request_client_id = ? WHERE number = ?",
                               arguments: [clientID, ticket.number])
            }
            let created = TicketChange(kind: .created, toStatus: draft.status,
                                       text: draft.sessionID.map { "Converted from chat \($0)." })
            try db.execute(sql: TicketHistoryRow.insertSQL, arguments: TicketHistoryRow.insertArguments(
                created.entry(ticketNumber: ticket.number, seq: 1, at: draft.createdAt, actor: draft.createdBy)))
            guard let onCall else { return (ticket, true, .notRequested) }
            return (ticket, true, try Self.queueOnCallAlert(db, ticket: ticket, organizationName: onCall.organizationName,
                                                            perDay: onCall.perDay, now: onCall.now))
        }
    }

    /// Moves a ticket to `status` on behalf of `actor`, following the policy's workflow, and records it.
    ///
    /// Blocking; any thread but the lws service thread. Race-free (see the top of this file).
    /// - Returns: the ticket as it now is and the `status_changed` entry.
    /// - Throws: `StorageError` `not_found` for an unknown ticket; `ChatError` `illegal_transition` or
    ///   `forbidden` (a customer actor) from `TicketRules.changeStatus`; nothing is written then.
    @discardableResult
    public func changeTicketStatus(number: Int64, to status: TicketStatus, actor: Participant, at instant: Date,
                                   policy: SupportPolicy) throws -> TicketUpdate {
        try dbPool.write { db in
            let ticket = try Self.requireTicket(db, number)
            let decision = try TicketRules.changeStatus(ticket, to: status, by: actor, policy: policy)
            return try Self.apply(decision, actor: actor, at: instant, db)
        }
    }

    /// Records a reply from `actor`, with its automatic effects (first response, New -> Open, Awaiting your
    /// reply -> Open; see `TicketRules.reply`).
    ///
    /// Blocking; any thread but the lws service thread. Race-free (see the top of this file).
    /// - Returns: the ticket as it now is and the entries appended: the `reply`, then any `status_changed`.
    /// - Throws: `StorageError` `not_found` for an unknown ticket; `ChatError` `ticket_closed` or
    ///   `invalid_field` from `TicketRules.reply`; nothing is written then.
    @discardableResult
    public func replyToTicket(number: Int64, actor: Participant, text: String, at instant: Date,
                              policy: SupportPolicy) throws -> TicketUpdate {
        try dbPool.write { db in
            let ticket = try Self.requireTicket(db, number)
            let decision = try TicketRules.reply(to: ticket, by: actor, text: text, at: instant, policy: policy)
            return try Self.apply(decision, actor: actor, at: instant, db)
        }
    }

    /// Appends an entry that does not change the ticket itself: a note, an on-call notification or failure, a
    /// severity change decided elsewhere.
    ///
    /// Blocking; any thread but the lws service thread.
    /// - Throws: `StorageError` `not_found` for an unknown ticket; `invalid_entry` for `created` and
    ///   `status_changed` (those come only from `createTicket` and `changeTicketStatus`).
    @discardableResult
    public func appendTicketHistory(number: Int64, kind: TicketHistoryKind, text: String?, actor: Participant,
                                    at instant: Date) throws -> TicketHistoryEntry {
        if kind == .created || kind == .statusChanged {
            throw StorageError(code: "invalid_entry",
                               message: "A \(kind.rawValue) entry is written only with the change it records.")
        }
        return try dbPool.write { db in
            _ = try Self.requireTicket(db, number)
            let entry = TicketChange(kind: kind, text: text)
                .entry(ticketNumber: number, seq: try Self.lastHistorySeq(db, number) + 1, at: instant, actor: actor)
            try db.execute(sql: TicketHistoryRow.insertSQL, arguments: TicketHistoryRow.insertArguments(entry))
            return entry
        }
    }

    // MARK: Inside a transaction

    static func fetchTicket(_ db: Database, _ number: Int64) throws -> Ticket? {
        try TicketRow.fetchOne(db, sql: "SELECT * FROM tickets WHERE number = ?", arguments: [number])?.ticket
    }

    static func requireTicket(_ db: Database, _ number: Int64) throws -> Ticket {
        guard let ticket = try fetchTicket(db, number) else { throw StorageError.notFound("Ticket \(number)") }
        return ticket
    }

    static func lastHistorySeq(_ db: Database, _ number: Int64) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM ticket_history WHERE ticket_number = ?",
                           arguments: [number]) ?? 0
    }

    private static func apply(_ decision: TicketRules.Decision, actor: Participant, at instant: Date,
                              _ db: Database) throws -> TicketUpdate {
        let number = decision.ticket.number
        try db.execute(sql: TicketRow.updateSQL, arguments: TicketRow.updateArguments(decision.ticket))
        var seq = try lastHistorySeq(db, number)
        var entries: [TicketHistoryEntry] = []
        for change in decision.changes {
            seq += 1
            let entry = change.entry(ticketNumber: number, seq: seq, at: instant, actor: actor)
            try db.execute(sql: TicketHistoryRow.insertSQL, arguments: TicketHistoryRow.insertArguments(entry))
            entries.append(entry)
        }
        return TicketUpdate(ticket: decision.ticket, entries: entries)
    }
}
