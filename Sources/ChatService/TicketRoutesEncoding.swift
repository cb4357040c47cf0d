import ChatCore
import Foundation

/// JSON shapes of tickets and their history (docs/PROTOCOL.md §7). Pure; safe from any thread.
enum TicketEncoding {
    static func write(_ ticket: Ticket, into json: inout JSONWriter) {
        json.beginObject()
        json.field("number", ticket.number)
        json.field("organizationId", ticket.organizationID)
        json.key("customer"); json.beginObject()
        json.field("contactId", ticket.customer.contactID)
        json.field("name", ticket.customer.name)
        json.field("email", ticket.customer.email)
        json.endObject()
        json.field("subject", ticket.subject)
        json.field("product", ticket.productID)
        json.field("category", ticket.category.rawValue)
        json.field("severity", ticket.severity)
        json.field("urgent", ticket.urgent)
        json.field("status", ticket.status.rawValue)
        json.field("sessionId", ticket.sessionID)
        json.field("convertedBy", staff: ticket.convertedBy)
        json.field("createdAt", date: ticket.createdAt)
        json.field("firstResponseDue", date: ticket.firstResponseDue)
        json.field("firstRespondedAt", date: ticket.firstRespondedAt)
        json.field("firstResponseMet", ticket.firstResponseMet)
        json.field("description", ticket.description)
        json.field("assignee", staff: ticket.assignee)
        json.endObject()
    }

    /// Optional fields (`fromStatus`, `toStatus`, `text`) are left out when absent.
    static func write(_ entry: TicketHistoryEntry, into json: inout JSONWriter) {
        json.beginObject()
        json.field("seq", entry.seq)
        json.field("at", date: entry.at)
        json.field("kind", entry.kind.rawValue)
        json.key("actor"); json.beginObject()
        json.field("role", entry.actor.role.rawValue)
        json.field("id", entry.actor.id)
        json.field("name", entry.actor.name)
        json.endObject()
        if let from = entry.fromStatus { json.field("fromStatus", from.rawValue) }
        if let to = entry.toStatus { json.field("toStatus", to.rawValue) }
        if let text = entry.text { json.field("text", text) }
        json.endObject()
    }
}
