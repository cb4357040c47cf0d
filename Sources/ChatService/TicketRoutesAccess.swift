import ChatCore
import ChatStorage

/// Who may see and change which tickets. Pure; safe from any thread.
///
/// - Customers: their organization's tickets (any contact of it); naming another organization is refused.
///   They open tickets and reply, but never set a status.
/// - Agents and supervisors: every ticket.
enum TicketAccess {
    static func scope(_ principal: Principal, _ requested: TicketFilter) -> Result<TicketFilter, ChatError> {
        guard case .customer(let customer) = principal else { return .success(requested) }
        if let org = requested.organizationID, org != customer.organizationID {
            return .failure(ChatError(.forbidden, "You can only list your own organization's tickets."))
        }
        var filter = requested
        filter.organizationID = customer.organizationID
        return .success(filter)
    }

    static func mayRead(_ principal: Principal, _ ticket: Ticket) -> Bool {
        switch principal {
        case .customer(let customer): return ticket.organizationID == customer.organizationID
        case .staff: return true
        }
    }

    /// Whether `principal` reads tickets as a customer does: without internal history entries (notes,
    /// assignment; `TicketHistoryKind.isInternal`) and without internal notices. Staff see everything.
    static func customerView(_ principal: Principal) -> Bool { !principal.isStaff }

    /// The principal as it appears in ticket history.
    static func actor(_ principal: Principal) -> Participant {
        switch principal {
        case .customer(let customer):
            return Participant(role: .customer, id: customer.contactID, name: customer.name)
        case .staff(let staff):
            return Participant(role: staff.role == .supervisor ? .supervisor : .agent, id: String(staff.id), name: staff.name)
        }
    }
}
