import ChatCore
import Foundation

// Internal work on tickets (notes, assignment) on PostgreSQL: each change locks the ticket row and writes the row
// and its history entry in ONE transaction (see PostgresStore+Tickets.swift).
//
// Threading: blocking, thread-safe (a pooled connection per call); never on the lws service thread.
extension PostgresStore {
    /// A ticket's history as `customerView` readers may see it: without internal entries (`note`, `assigned`).
    public func ticketHistory(number: Int64, customerView: Bool) throws -> [TicketHistoryEntry] {
        let all = try ticketHistory(number: number)
        return customerView ? all.filter { !$0.kind.isInternal } : all
    }

    /// Appends an internal note by `actor` (staff). Throws `not_found` for an unknown ticket.
    @discardableResult
    public func addTicketNote(number: Int64, text: String, actor: Participant, at instant: Date) throws -> TicketUpdate {
        try pool.with { connection in
            try connection.transaction { c in
                let ticket = try Self.requireTicket(c, number)
                let entry = TicketChange(kind: .note, text: text)
                    .entry(ticketNumber: number, seq: try Self.lastHistorySeq(c, number) + 1, at: instant, actor: actor)
                try Self.insertHistory(c, entry)
                return TicketUpdate(ticket: ticket, entries: [entry])
            }
        }
    }

    /// Sets who works on the ticket (`nil`: nobody) and records an `assigned` entry; the current assignee again
    /// writes nothing. Throws `not_found` for an unknown ticket.
    @discardableResult
    public func assignTicket(number: Int64, to assignee: StaffRef?, actor: Participant, at instant: Date) throws -> TicketUpdate {
        try pool.with { connection in
            try connection.transaction { c in
                var ticket = try Self.requireTicket(c, number)
                if ticket.assignee?.id == assignee?.id { return TicketUpdate(ticket: ticket, entries: []) }
                ticket.assignee = assignee
                try c.execute("UPDATE tickets SET assignee_id = $1, assignee_name = $2 WHERE number = $3",
                              [pg(assignee?.id), pg(assignee?.name), .int(number)])
                let text = assignee.map { "Assigned to \($0.name)." } ?? "Unassigned."
                let entry = TicketChange(kind: .assigned, text: text)
                    .entry(ticketNumber: number, seq: try Self.lastHistorySeq(c, number) + 1, at: instant, actor: actor)
                try Self.insertHistory(c, entry)
                return TicketUpdate(ticket: ticket, entries: [entry])
            }
        }
    }
}
