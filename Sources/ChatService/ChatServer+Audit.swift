import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// `GET /api/audit` (supervisors: the audit log, newest first, keyset-paged) and `GET /api/organizations`
/// (staff: organizations by name prefix, for the transcript filter's suggestions).
extension ChatServer {
    func readAudit(_ request: HTTPRequest) {
        let filter: AuditFilter
        switch AuditQuery.parse(request.query) {
        case .success(let parsed): filter = parsed
        case .failure(let error): return respond(request, HTTPReplies.error(error))
        }
        authenticate(request) { server, principal in
            guard SessionAccess.mayReadAudit(principal) else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Only supervisors read the audit log."))
            }
            let store = server.store, now = server.clock.now()
            server.blocking(request) {
                try store.record(AuditRecord.entry(principal, request, .auditRead, at: now))
                let page = try store.auditEntries(matching: filter)
                let response = HTTPReplies.json(200) { json in
                    json.key("entries"); json.beginArray()
                    for entry in page.entries { Self.write(entry, into: &json) }
                    json.endArray()
                    json.field("nextBefore", page.nextBefore)
                    json.field("limit", filter.effectiveLimit)
                }
                return { server in server.respond(request, response) }
            }
        }
    }

    static func write(_ entry: AuditEntry, into json: inout JSONWriter) {
        json.beginObject()
        json.field("id", entry.id)
        json.field("at", date: entry.at)
        json.key("staff"); json.beginObject()
        json.field("id", entry.staffID)
        json.field("name", entry.staffName)
        json.field("role", entry.staffRole.rawValue)
        json.endObject()
        json.field("action", entry.action.rawValue)
        json.field("target", entry.target)
        json.field("detail", entry.detail)
        json.field("address", entry.address)
        json.endObject()
    }

    func lookUpOrganizations(_ request: HTTPRequest) {
        do { try TicketRoutes.rejectControlCharacters(request.query) } catch { return respond(request, HTTPReplies.error(error)) }
        let prefix = request.query["prefix"] ?? ""
        var limit = 10
        if let text = request.query["limit"], !text.isEmpty {
            guard let value = Int(text), (1...50).contains(value) else {
                return respond(request, HTTPReplies.error(.invalidParameter("limit", "must be an integer from 1 to 50.")))
            }
            limit = value
        }
        guard prefix.count <= 200 else {
            return respond(request, HTTPReplies.error(.invalidParameter("prefix", "must be at most 200 characters.")))
        }
        let count = limit
        authenticate(request) { server, principal in
            guard SessionAccess.mayLookUpOrganizations(principal) else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Only staff look up organizations."))
            }
            let store = server.store
            server.blocking(request) {
                let found = try store.organizations(matchingPrefix: prefix, limit: count)
                let response = HTTPReplies.json(200) { json in
                    json.key("organizations"); json.beginArray()
                    for org in found {
                        json.beginObject(); json.field("id", org.id); json.field("name", org.name); json.endObject()
                    }
                    json.endArray()
                }
                return { server in server.respond(request, response) }
            }
        }
    }
}
