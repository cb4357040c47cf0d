import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// `GET /api/transcripts` and `GET /api/transcripts/{id}`. Access is decided from the session record before any
/// event is read; events are read a page at a time; bodies are built on the blocking workers, never on the
/// service thread (which only hands the finished bytes to the transport).
extension ChatServer {
    /// Events per transcript page by default, and at most.
    static let transcriptPageDefault = 500
    static let transcriptPageMax = 1000

    func listTranscripts(_ request: HTTPRequest) {
        let requested: TranscriptFilter
        switch TranscriptQuery.parse(request.query) {
        case .success(let filter): requested = filter
        case .failure(let error): return respond(request, HTTPReplies.error(error))
        }
        authenticate(request) { server, principal in
            let filter: TranscriptFilter
            switch TranscriptAccess.scope(principal, requested) {
            case .success(let scoped): filter = scoped
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store, policy = server.engine.policy, now = server.clock.now()
            server.blocking(request) {
                try store.record(AuditRecord.entry(principal, request, .transcriptList, at: now))
                let summaries = try store.sessions(matching: filter)
                // The total on the first page only: a cursor page need not count the filter again.
                let total = filter.after == nil ? try store.countSessions(matching: filter) : nil
                let names = try store.organizationNames(ids: Set(summaries.map(\.record.organizationID)))
                let full = summaries.count == filter.limit
                let response = HTTPReplies.json(200) { json in
                    json.key("transcripts"); json.beginArray()
                    for summary in summaries {
                        json.beginObject()
                        WireEncoding.write(summary.record, into: &json)
                        json.field("organizationName", names[summary.record.organizationID] ?? summary.record.organizationID)
                        json.field("productName", policy.product(summary.record.productID)?.name ?? summary.record.productID)
                        json.field("lastSeq", summary.lastSeq)
                        json.field("messageCount", summary.messageCount)
                        json.endObject()
                    }
                    json.endArray()
                    json.key("total"); if let total { json.int(total) } else { json.null() }
                    json.field("nextCursor", full ? summaries.last.map { TranscriptCursor(after: $0.record).token } : nil)
                    json.field("limit", filter.limit)
                    json.field("offset", filter.offset)
                }
                return { server in server.respond(request, response) }
            }
        }
    }

    func readTranscript(_ request: HTTPRequest, _ id: SessionID) {
        let afterSeq: Seq, limit: Int
        switch Self.transcriptPage(request.query) {
        case .success(let page): (afterSeq, limit) = page
        case .failure(let error): return respond(request, HTTPReplies.error(error))
        }
        authenticate(request) { server, principal in
            let store = server.store, policy = server.engine.policy, now = server.clock.now()
            server.blocking(request) {
                let stored = try Self.storedTranscript(store, id, for: principal, verb: "read",
                                                       may: SessionAccess.mayReadTranscript)
                try store.record(AuditRecord.entry(principal, request, .transcriptRead, target: String(id),
                                                   detail: "afterSeq=\(afterSeq)&limit=\(limit)", at: now))
                let page = try store.historyPage(sessionID: id, afterSeq: afterSeq, limit: limit) { _ in true }
                // The header (names, outcome, wait, agents, service orders) comes with the first page only.
                let header = afterSeq == 0 ? try TranscriptHeader.load(stored, store: store, policy: policy) : nil
                let orders = header?.orders ?? []
                let organizationName = try header?.organizationName
                    ?? store.organizationNames(ids: [stored.record.organizationID])[stored.record.organizationID]
                    ?? stored.record.organizationID
                let staffNames = header?.staffNames ?? [:]
                let rating = try store.rating(sessionID: id)
                let response = HTTPReplies.json(200) { json in
                    json.key("session"); json.beginObject()
                    WireEncoding.write(stored.record, into: &json)
                    json.field("lastSeq", stored.lastSeq)
                    json.field("customerReadSeq", stored.customerReadSeq)
                    json.field("agentReadSeq", stored.agentReadSeq)
                    json.field("organizationName", organizationName)
                    json.field("productName", policy.product(stored.record.productID)?.name ?? stored.record.productID)
                    json.endObject()
                    if let header { json.key("summary"); header.writeSummary(into: &json) }
                    json.key("events"); json.beginArray()
                    for event in page.events where SessionAccess.mayReceive(principal, event.kind) {
                        WireEncoding.write(event, into: &json)
                    }
                    json.endArray()
                    json.field("nextAfterSeq", page.isLast ? nil : page.events.last?.seq)
                    json.key("csat")
                    if let rating { Self.write(rating, into: &json) } else { json.null() }
                    json.key("serviceOrders"); json.beginArray()
                    for order in orders { Self.write(order, proposedByName: staffNames[order.proposedBy], into: &json) }
                    json.endArray()
                }
                return { server in server.respond(request, response) }
            }
        }
    }

    /// `afterSeq` (default 0) and `limit` (1...1000, default 500) of a transcript read.
    static func transcriptPage(_ query: [String: String]) -> Result<(Seq, Int), ChatError> {
        var afterSeq: Seq = 0
        var limit = transcriptPageDefault
        if let text = query["afterSeq"], !text.isEmpty {
            guard let value = Seq(text), value >= 0 else {
                return .failure(ChatError(.invalidField, "afterSeq must be an integer >= 0."))
            }
            afterSeq = value
        }
        if let text = query["limit"], !text.isEmpty {
            guard let value = Int(text), (1...transcriptPageMax).contains(value) else {
                return .failure(ChatError(.invalidField, "limit must be an integer from 1 to \(transcriptPageMax)."))
            }
            limit = value
        }
        return .success((afterSeq, limit))
    }
}

extension ChatServer {
    /// Worker thread: the stored chat `id` when `may` lets `principal` have its transcript; otherwise throws the
    /// refusal (404 `not_found` for no such chat, 403 `forbidden` "You may not <verb> transcript N."), which
    /// `blocking` answers. Access is decided from the session record before any event is read.
    static func storedTranscript(_ store: any StorageBackend, _ id: SessionID, for principal: Principal, verb: String,
                                 may: (Principal, ChatSessionRecord, Set<StaffID>) -> Bool) throws -> StoredSession {
        guard let stored = try store.storedSession(id: id, staffCandidate: principal.staffID) else {
            throw ChatError(.notFound, "There is no transcript \(id).")
        }
        guard may(principal, stored.record, stored.handledBy) else {
            throw ChatError(.forbidden, "You may not \(verb) transcript \(id).")
        }
        return stored
    }
}
