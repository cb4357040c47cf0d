import ChatCore
import Foundation
import GRDB

// Internal work on tickets: notes and assignment (issue 12). Like every ticket change, each one reads the ticket
// and writes the row and its history entry inside ONE write transaction of the single writer.

extension ChatStore {
    /// A ticket's history as `customerView` readers may see it: without internal entries (`note`, `assigned`)
    /// when true; everything when false (staff).
    ///
    /// Blocking; any thread but the lws service thread.
    public func ticketHistory(number: Int64, customerView: Bool) throws -> [TicketHistoryEntry] {
        let all = try ticketHistory(number: number)
        return customerView ? all.filter { !$0.kind.isInternal } : all
    }

    /// Appends an internal note by `actor` (staff). The caller has checked that `actor` is staff and trimmed `text`.
    ///
    /// Blocking; any thread but the lws service thread.
    /// - Returns: the ticket (unchanged) and the `note` entry.
    /// - Throws: `StorageError` `not_found` for an unknown ticket.
    @discardableResult
    public func addTicketNote(number: Int64, text: String, actor: Participant, at instant: Date) throws -> TicketUpdate {
        try dbPool.write { db in
            let ticket = try Self.requireTicket(db, number)
            let entry = TicketChange(kind: .note, text: text)
                .entry(ticketNumber: number, seq: try Self.lastHistorySeq(db, number) + 1, at: instant, actor: actor)
            try db.execute(sql: TicketHistoryRow.insertSQL, arguments: TicketHistoryRow.insertArguments(entry))
            return TicketUpdate(ticket: ticket, entries: [entry])
        }
    }

    /// Sets who works on the ticket (`nil`: nobody) and records an `assigned` entry, by `actor` (staff).
    /// Setting the current assignee again writes nothing and returns no entry.
    ///
    /// Blocking; any thread but the lws service thread.
    /// - Throws: `StorageError` `not_found` for an unknown ticket.
    @discardableResult
    public func assignTicket(number: Int64, to assignee: StaffRef?, actor: Participant, at instant: Date) throws -> TicketUpdate {
        try dbPool.write { db in
            var ticket = try Self.requireTicket(db, number)
            if ticket.assignee?.id == assignee?.id { return TicketUpdate(ticket: ticket, entries: []) }
            ticket.assignee = assignee
            try db.execute(sql: "UPDATE tickets SET assignee_id = ?, assignee_name = ? WHERE number = ?",
                           arguments: [assignee?.id, assignee?.name, number])
            let text = assignee.map { "Assigned to \($0.name)." } ?? "Unassigned."
            let entry = TicketChange(kind: .assigned, text: text)
                .entry(ticketNumber: number, seq: try Self.lastHistorySeq(db, number) + 1, at: instant, actor: actor)
            try db.execute(sql: TicketHistoryRow.insertSQL, arguments: TicketHistoryRow.insertArguments(entry))
            return TicketUpdate(ticket: ticket, entries: [entry])
        }
    }
}
