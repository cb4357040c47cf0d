import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// Internal work on tickets (docs/PROTOCOL.md §7, "Tickets"): notes, assignment and the staff list to assign
/// from. Staff only; like the other ticket routes they run on the service thread and send the database work to
/// the blocking workers. Their `ticket` frames go to staff connections only (`TicketNoticeKind.isStaffOnly`).
extension ChatServer {
    /// `POST /api/tickets/{n}/notes` `{text}` (staff): `{ticket, entry}` (the `note` entry).
    func addTicketNote(_ request: HTTPRequest, _ number: Int64) {
        authenticate(request) { server, principal in
            guard principal.isStaff else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Only the support team writes internal notes."))
            }
            let text: String
            switch TicketRoutes.noteText(request.body) {
            case .success(let parsed): text = parsed
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store
            let now = server.clock.now()
            server.ticketJob(request) {
                let update = try store.addTicketNote(number: number, text: text, actor: TicketAccess.actor(principal), at: now)
                return { server in server.answerTicketWork(request, update, change: .note) }
            }
        }
    }

    /// `POST /api/tickets/{n}/assignee` `{staffId: N|null}` (staff): `{ticket, entry}` (the `assigned` entry; no
    /// entry when the assignee was already that one). 404 `unknown_agent` for an unknown staff id.
    func assignTicket(_ request: HTTPRequest, _ number: Int64) {
        authenticate(request) { server, principal in
            guard principal.isStaff else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Only the support team assigns tickets."))
            }
            let staffID: StaffID?
            switch TicketRoutes.assignee(request.body) {
            case .success(let parsed): staffID = parsed
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store
            let now = server.clock.now()
            server.ticketJob(request) {
                var assignee: StaffRef?
                if let staffID {
                    guard let member = try store.staff(id: staffID) else {
                        throw ChatError(.unknownAgent, "There is no staff member \(staffID).")
                    }
                    assignee = StaffRef(id: member.id, name: member.name)
                }
                let update = try store.assignTicket(number: number, to: assignee, actor: TicketAccess.actor(principal), at: now)
                return { server in server.answerTicketWork(request, update, change: .assignee) }
            }
        }
    }

    /// `GET /api/staff` (staff): `{"staff":[{"id","name","role"}...]}`, by id: whom a ticket can be assigned to.
    func listStaff(_ request: HTTPRequest) {
        authenticate(request) { server, principal in
            guard principal.isStaff else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Only the support team lists staff."))
            }
            let store = server.store
            server.blocking(request) {
                let members = try store.allStaff()
                return { server in
                    server.respond(request, HTTPReplies.json(200) { json in
                        json.key("staff"); json.beginArray()
                        for member in members {
                            json.beginObject()
                            json.field("id", member.id)
                            json.field("name", member.name)
                            json.field("role", member.role.rawValue)
                            json.endObject()
                        }
                        json.endArray()
                    })
                }
            }
        }
    }

    /// Service thread: tells staff about the change (when something changed) and answers `{ticket, entry}`.
    private func answerTicketWork(_ request: HTTPRequest, _ update: TicketUpdate, change: TicketNoticeKind) {
        if !update.entries.isEmpty { announceTicketChange(update.ticket, change: change) }
        respond(request, HTTPReplies.json(200) { json in
            json.key("ticket"); TicketEncoding.write(update.ticket, into: &json)
            if let entry = update.entries.first { json.key("entry"); TicketEncoding.write(entry, into: &json) }
        })
    }
}
