import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// `GET /api/transcripts/{id}/context`: what an agent needs to know about the customer of a chat: their
/// organization, plan and region (open now or when it opens), authorized contacts used of allowed, the contact's
/// earlier chats and open tickets. Staff who may follow (open chats) or read (closed ones) the chat; the rule
/// is `SessionAccess.mayFollow`. Read on the blocking workers.
extension ChatServer {
    static let contextEarlierChats = 10

    func customerContext(_ request: HTTPRequest, _ id: SessionID) {
        authenticate(request) { server, principal in
            guard principal.isStaff else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Customer context is for the support team."))
            }
            let store = server.store
            let policy = server.engine.policy
            let calendars = server.calendars
            let now = server.clock.now()
            server.blocking(request) {
                guard let stored = try store.storedSession(id: id, staffCandidate: principal.staffID),
                      SessionAccess.mayFollow(principal, stored.record, handledBy: stored.handledBy) else {
                    return { server in server.respond(request, HTTPReplies.error(.notFound, "There is no chat \(id) you may read.")) }
                }
                let record = stored.record
                let organization = try store.organization(id: record.organizationID)
                let earlier = try store.sessions(matching: TranscriptFilter(
                    organizationID: record.organizationID, contactID: record.customer.contactID,
                    limit: Self.contextEarlierChats + 1)).filter { $0.record.id != id }.prefix(Self.contextEarlierChats)
                let tickets = try store.tickets(matching: TicketFilter(organizationID: record.organizationID,
                                                                       contactID: record.customer.contactID, limit: 50))
                    .filter { $0.status != .closed }
                let plan = policy.plans.first { $0.id == organization?.planID }
                let regionID = organization?.regionID ?? policy.defaultRegion
                let region = policy.regions.first { $0.id == regionID }
                let calendar = calendars[regionID]
                let response = HTTPReplies.json(200) { json in
                    json.key("customer"); json.beginObject()
                    json.field("contactId", record.customer.contactID)
                    json.field("name", record.customer.name)
                    json.field("email", record.customer.email)
                    json.endObject()
                    json.key("organization"); json.beginObject()
                    json.field("id", record.organizationID)
                    json.field("name", organization?.name ?? record.organizationID)
                    json.key("plan")
                    if let plan {
                        json.beginObject()
                        json.field("id", plan.id); json.field("name", plan.name); json.field("liveChat", plan.liveChat)
                        json.endObject()
                    } else { json.null() }
                    json.key("contacts"); json.beginObject()
                    json.field("used", organization?.authorizedContacts.count ?? 0)
                    json.field("allowed", plan?.authorizedContacts ?? 0)
                    json.endObject()
                    json.endObject()
                    json.key("region")
                    if let region {
                        json.beginObject()
                        json.field("id", region.id); json.field("name", region.name); json.field("timeZone", region.timeZone)
                        json.field("openNow", calendar?.isOpen(at: now) ?? true)
                        json.field("nextOpening", date: calendar.map { $0.isOpen(at: now) ? nil : $0.nextOpening(atOrAfter: now) } ?? nil)
                        json.key("hours"); json.beginArray()
                        for hours in region.hours {
                            json.beginObject()
                            json.field("weekday", hours.weekday); json.field("open", hours.open); json.field("close", hours.close)
                            json.endObject()
                        }
                        json.endArray()
                        json.endObject()
                    } else { json.null() }
                    json.key("earlierChats"); json.beginArray()
                    for chat in earlier {
                        json.beginObject()
                        json.field("id", chat.record.id)
                        json.field("createdAt", date: chat.record.createdAt)
                        json.field("subject", chat.record.subject)
                        json.field("state", chat.record.state.rawValue)
                        json.field("ticketNumber", chat.record.ticketNumber)
                        json.field("messageCount", chat.messageCount)
                        json.endObject()
                    }
                    json.endArray()
                    json.key("openTickets"); json.beginArray()
                    for ticket in tickets { TicketEncoding.write(ticket, into: &json) }
                    json.endArray()
                }
                return { server in server.respond(request, response) }
            }
        }
    }
}
