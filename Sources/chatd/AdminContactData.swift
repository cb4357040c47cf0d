import ArgumentParser
import ChatCore
import ChatService
import ChatStorage
import Foundation

/// The person an erase or export is about, and the store it reads (with the audit record both leave).
struct ContactOptions: ParsableArguments {
    @OptionGroup var common: CommonOptions
    @Option(help: "Organization id.") var org: String
    @Option(help: "Contact id (the token's sub).") var contact: String

    func store() throws -> any StorageBackend { try openStore(try common.load()) }

    func record(_ store: any StorageBackend, _ action: AuditAction, detail: String) throws {
        try recordAdminAction(store, action, org: org, contact: contact, detail: detail)
    }
}

/// `chatd admin erase-contact`: the right to erasure.
struct EraseContact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase-contact",
        abstract: "Erase a person's personal data, keeping the rest of each conversation readable (\"[erased]\").")
    @OptionGroup var person: ContactOptions

    func run() throws {
        let store = try person.store()
        let report = try store.eraseContact(organizationID: person.org, contactID: person.contact)
        try person.record(store, .contactErase,
                          detail: "\(report.events) messages, \(report.sessions) chats, \(report.tickets) tickets")
        print("erased contact \(person.contact) of \(person.org): \(report.events) messages in \(report.sessions) chats, "
              + "\(report.tickets) tickets, \(report.ticketEntries) ticket entries")
    }
}

/// `chatd admin export-contact`: a data-subject access request, as JSON on standard output.
struct ExportContact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-contact",
        abstract: "Print everything held about a person as JSON (chats with what they could read, ratings, tickets).")
    @OptionGroup var person: ContactOptions

    func run() throws {
        let store = try person.store()
        let export = try store.exportContact(organizationID: person.org, contactID: person.contact)
        try person.record(store, .contactExport, detail: "\(export.sessions.count) chats, \(export.tickets.count) tickets")
        let iso = { (date: Date) in ISOTime.format(date) }
        let document: [String: Any] = [
            "organizationId": person.org, "contactId": person.contact, "exportedAt": iso(Date()),
            "chats": export.sessions.map { session, events, rating -> [String: Any] in
                var chat: [String: Any] = [
                    "id": session.id, "product": session.productID, "subject": session.subject,
                    "customer": ["name": session.customer.name, "email": session.customer.email],
                    "state": session.state.rawValue, "createdAt": iso(session.createdAt),
                    "closedAt": session.closedAt.map(iso) ?? NSNull(),
                    "ticketNumber": session.ticketNumber ?? NSNull(),
                    "events": events.map { event -> [String: Any] in
                        ["seq": event.seq, "at": iso(event.at), "kind": event.kind.rawValue,
                         "author": ["role": event.author.role.rawValue, "name": event.author.name],
                         "text": event.text ?? NSNull()]
                    },
                ]
                if let rating {
                    chat["rating"] = ["rating": rating.rating, "comment": rating.comment ?? NSNull(), "ratedAt": iso(rating.ratedAt)]
                }
                return chat
            },
            "tickets": export.tickets.map { ticket, history -> [String: Any] in
                ["number": ticket.number, "subject": ticket.subject, "status": ticket.status.rawValue,
                 "createdAt": iso(ticket.createdAt), "description": ticket.description,
                 "history": history.map { entry -> [String: Any] in
                     ["at": iso(entry.at), "kind": entry.kind.rawValue, "by": entry.actor.name, "text": entry.text ?? NSNull()]
                 }]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Records an administrator's action on a person's data in the audit log: staff id 0, the operating-system user's
/// name, address `local`.
func recordAdminAction(_ store: any StorageBackend, _ action: AuditAction, org: String, contact: String, detail: String) throws {
    let user = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    try store.appendAudit([AuditEntry(id: 0, at: Date(), staffID: 0, staffName: "chatd admin (\(user))",
                                      staffRole: .supervisor, action: action, target: "\(org)/\(contact)",
                                      detail: detail, address: "local")])
}
