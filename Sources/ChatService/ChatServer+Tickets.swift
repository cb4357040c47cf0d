import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// The ticket routes (docs/PROTOCOL.md §7). Like the other HTTP routes they run on the service thread and send
/// every database access to the blocking workers; each route's database work is one worker job.
extension ChatServer {
    // MARK: Routes

    /// `POST /api/tickets` (customers): opens a ticket for the customer's organization. 201 `{ticket}`.
    func createTicket(_ request: HTTPRequest) {
        authenticate(request) { server, principal in
            guard case .customer(let customer) = principal else {
                return server.respond(request, HTTPReplies.error(.forbidden,
                    "Only customers open tickets here; staff convert chats into tickets."))
            }
            let realNow = Date()
            guard server.ticketLimits.take(customer.organizationID, now: realNow) else {
                let wait = Int(server.ticketLimits.retryAfter(customer.organizationID, now: realNow).rounded(.up))
                var response = HTTPReplies.error(.rateLimited, "Your organization opened too many tickets; try again in \(wait) s.")
                response.headers["Retry-After"] = String(max(1, wait))
                return server.respond(request, response)
            }
            let new: NewTicketRequest
            switch TicketRoutes.newTicket(request.body, policy: server.engine.policy) {
            case .success(let parsed): new = parsed
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store
            let now = server.clock.now()
            let onCall = new.urgent ? server.onCallRequest(organizationID: customer.organizationID, now: now) : nil
            server.ticketJob(request) {
                guard let organization = try store.organization(id: customer.organizationID) else {
                    throw ChatError(.unknownOrganization, "Your organization \"\(customer.organizationID)\" is not registered.")
                }
                let due = server.firstResponseDue(severity: new.severity, from: now, regionID: organization.regionID)
                // Urgent outside support hours: the on-call alert is queued in the same transaction (outcomes go
                // into the ticket's history).
                let pages = new.urgent && server.needsOnCall(regionID: organization.regionID, at: now)
                let created = try store.createTicketOnce(TicketDraft(
                    organizationID: customer.organizationID, customer: customer, subject: new.subject,
                    productID: new.productID, category: new.category, severity: new.severity, urgent: new.urgent,
                    createdAt: now, firstResponseDue: due, description: new.description,
                    createdBy: TicketAccess.actor(principal)), onCall: pages ? onCall?() : nil)
                let ticket = created.ticket
                let onCallNotified = created.onCall == .queued
                return { server in
                    server.onCallQueued(created.onCall, ticket: ticket)
                    if created.created { server.announceTicketChange(ticket, change: .created) }
                    server.respond(request, HTTPReplies.json(201) { json in
                        json.key("ticket"); TicketEncoding.write(ticket, into: &json)
                        json.field("onCallNotified", onCallNotified)
                    })
                }
            }
        }
    }

    /// `GET /api/tickets`: `{tickets, limit, offset}`, newest first; customers see their organization's only.
    func listTickets(_ request: HTTPRequest) {
        authenticate(request) { server, principal in
            let filter: TicketFilter
            switch TicketRoutes.filter(request.query, policy: server.engine.policy).flatMap({ TicketAccess.scope(principal, $0) }) {
            case .success(let scoped): filter = scoped
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store
            server.ticketJob(request) {
                let tickets = try store.tickets(matching: filter)
                return { server in
                    server.respond(request, HTTPReplies.json(200) { json in
                        json.key("tickets"); json.beginArray()
                        for ticket in tickets { TicketEncoding.write(ticket, into: &json) }
                        json.endArray()
                        json.field("limit", filter.limit)
                        json.field("offset", filter.offset)
                    })
                }
            }
        }
    }

    /// `GET /api/tickets/{n}`: `{ticket, history}`.
    func readTicket(_ request: HTTPRequest, _ number: Int64) {
        authenticate(request) { server, principal in
            let store = server.store
            server.ticketJob(request) {
                let ticket = try Self.readableTicket(store, number, principal)
                // Internal entries (notes, assignment) never reach customers: TicketAccess.customerView.
                let history = try store.ticketHistory(number: number, customerView: TicketAccess.customerView(principal))
                return { server in
                    server.respond(request, HTTPReplies.json(200) { json in
                        json.key("ticket"); TicketEncoding.write(ticket, into: &json)
                        json.key("history"); json.beginArray()
                        for entry in history { TicketEncoding.write(entry, into: &json) }
                        json.endArray()
                    })
                }
            }
        }
    }

    /// `POST /api/tickets/{n}/replies` `{text}`: `{ticket, entry}` (the reply entry; automatic status changes are
    /// in the ticket and its history).
    func replyToTicket(_ request: HTTPRequest, _ number: Int64) {
        authenticate(request) { server, principal in
            let text: String
            switch TicketRoutes.replyText(request.body) {
            case .success(let parsed): text = parsed
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store
            let policy = server.engine.policy
            let now = server.clock.now()
            server.ticketJob(request) {
                // A ticket never changes organization, so checking access before the write is race-free.
                _ = try Self.readableTicket(store, number, principal)
                let update = try store.replyToTicket(number: number, actor: TicketAccess.actor(principal), text: text,
                                                     at: now, policy: policy)
                return { server in
                    server.announceTicketChange(update.ticket, change: .reply)
                    server.respond(request, HTTPReplies.json(200) { json in
                        json.key("ticket"); TicketEncoding.write(update.ticket, into: &json)
                        if let entry = update.entries.first { json.key("entry"); TicketEncoding.write(entry, into: &json) }
                    })
                }
            }
        }
    }

    /// `POST /api/tickets/{n}/status` `{status}` (staff): `{ticket, entry}`.
    func changeTicketStatus(_ request: HTTPRequest, _ number: Int64) {
        authenticate(request) { server, principal in
            guard principal.isStaff else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Only the support team can change a ticket's status."))
            }
            let status: TicketStatus
            switch TicketRoutes.status(request.body) {
            case .success(let parsed): status = parsed
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store
            let policy = server.engine.policy
            let now = server.clock.now()
            server.ticketJob(request) {
                let update = try store.changeTicketStatus(number: number, to: status, actor: TicketAccess.actor(principal),
                                                          at: now, policy: policy)
                return { server in
                    server.announceTicketChange(update.ticket, change: .status)
                    server.respond(request, HTTPReplies.json(200) { json in
                        json.key("ticket"); TicketEncoding.write(update.ticket, into: &json)
                        if let entry = update.entries.first { json.key("entry"); TicketEncoding.write(entry, into: &json) }
                    })
                }
            }
        }
    }

    // MARK: Helpers

    /// `blocking`, with ticket refusals answered as such: a `ChatError` thrown by the work (from `TicketRules`
    /// or the route) becomes its HTTP error, and storage's `not_found` becomes `404 unknown_ticket`.
    func ticketJob(_ request: HTTPRequest, _ work: @escaping @Sendable () throws -> (@Sendable (ChatServer) -> Void)) {
        blocking(request) {
            do {
                return try work()
            } catch let error as StorageError where error.code == "not_found" {
                return { server in server.respond(request, HTTPReplies.error(.unknownTicket, error.message)) }
            }
        }
    }

    /// Worker thread: the ticket if it exists and `principal` may see it.
    static func readableTicket(_ store: any StorageBackend, _ number: Int64, _ principal: Principal) throws -> Ticket {
        guard let ticket = try store.ticket(number: number) else {
            throw ChatError(.unknownTicket, "There is no ticket \(number).")
        }
        guard TicketAccess.mayRead(principal, ticket) else {
            throw ChatError(.forbidden, "Ticket \(number) belongs to another organization.")
        }
        return ticket
    }
}
