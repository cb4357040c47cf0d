import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// `GET /api/search`: full-text search of conversations with the transcript filters, newest first, paged by a
/// cursor. Who may find what is the listing's rule (`TranscriptAccess.scope`); the search runs on the blocking
/// workers, never on the service thread.
extension ChatServer {
    func searchTranscripts(_ request: HTTPRequest) {
        let requested: TranscriptSearch
        switch Self.parseSearch(request.query) {
        case .success(let search): requested = search
        case .failure(let error): return respond(request, HTTPReplies.error(error))
        }
        authenticate(request) { server, principal in
            var scoped = requested
            switch TranscriptAccess.scope(principal, requested.filter) {
            case .success(let filter): scoped.filter = filter
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let search = scoped
            let store = server.store, now = server.clock.now()
            server.blocking(request) {
                try store.record(AuditRecord.entry(principal, request, .transcriptSearch, at: now))
                let page = try store.search(search)
                let response = HTTPReplies.json(200) { json in
                    json.key("results"); json.beginArray()
                    for hit in page.hits {
                        json.beginObject()
                        WireEncoding.write(hit.summary.record, into: &json)
                        json.field("lastSeq", hit.summary.lastSeq)
                        json.field("messageCount", hit.summary.messageCount)
                        json.key("hit"); json.beginObject()
                        json.field("seq", hit.seq)
                        json.key("snippet"); json.beginArray()
                        for part in hit.snippet {
                            json.beginObject()
                            json.field("text", part.text)
                            json.field("hit", part.hit)
                            json.endObject()
                        }
                        json.endArray()
                        json.endObject()
                        json.endObject()
                    }
                    json.endArray()
                    json.field("total", page.total)
                    json.field("totalExact", page.totalIsExact)
                    json.field("nextCursor", page.nextCursor)
                    json.field("limit", search.filter.effectiveLimitForClients)
                }
                return { server in server.respond(request, response) }
            }
        }
    }

    /// `q` (required: at least one word, at most `SearchQuery.maxLength` characters), `before` (a session id, the
    /// previous page's `nextCursor`), and the transcript filters (`TranscriptQuery`; `offset` is refused: pages
    /// follow the cursor).
    static func parseSearch(_ query: [String: String]) -> Result<TranscriptSearch, ChatError> {
        let filter: TranscriptFilter
        switch TranscriptQuery.parse(query) {
        case .success(let parsed): filter = parsed
        case .failure(let error): return .failure(error)
        }
        if let cursor = query["cursor"], !cursor.isEmpty {
            return .failure(.invalidParameter("cursor", "is not used by search: pass the previous page's nextCursor as before."))
        }
        if query["offset"] != nil {
            return .failure(.invalidParameter("offset", "is not used by search: pass the previous page's nextCursor as before."))
        }
        guard let text = query["q"], text.count <= SearchQuery.maxLength else {
            return .failure(.invalidParameter("q", "is required: the words to find (at most \(SearchQuery.maxLength) characters)."))
        }
        guard let parsed = SearchQuery(text) else {
            return .failure(.invalidParameter("q", "must contain at least one word (letters or digits)."))
        }
        var search = TranscriptSearch(query: parsed, filter: filter)
        if let before = query["before"], !before.isEmpty {
            guard let id = SessionID(before), id > 0, id < (1 << 40) else {
                return .failure(.invalidParameter("before", "must be a session id (the previous page's nextCursor)."))
            }
            search.before = id
        }
        return .success(search)
    }
}

extension TranscriptFilter {
    /// The page size the storage uses (`limit` clamped).
    var effectiveLimitForClients: Int { min(max(limit, 1), TranscriptFilter.maxLimit) }
}
