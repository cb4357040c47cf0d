import Foundation

extension ChatEngine {
    /// Tells whoever watches tickets that one changed: every staff connection (the console's ticket view), and
    /// the connections of customers of the ticket's organization (their "My tickets") unless the change is
    /// internal (a note, an assignment: `TicketNoticeKind.isStaffOnly`). Tickets live in storage;
    /// the engine only knows who is connected. Service thread, after the change is committed.
    public func ticketChanged(_ ticket: Ticket, change: TicketNoticeKind) -> [Effect] {
        let targets = connections.filter { _, connection in
            switch connection.principal {
            case .staff: return true
            case .customer(let customer): return !change.isStaffOnly && customer.organizationID == ticket.organizationID
            }
        }.map(\.key).sorted()
        return targets.isEmpty ? [] : [.send(targets, .ticketChanged(ticket, change: change))]
    }
}
