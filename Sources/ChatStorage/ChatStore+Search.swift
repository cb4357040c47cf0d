import ChatCore
import GRDB

/// A full-text search of conversations with the transcript filters (`filter.offset` is not used: pages follow a
/// cursor). Plain value; safe on any thread.
public struct TranscriptSearch: Sendable, Equatable {
    public var query: SearchQuery
    public var filter: TranscriptFilter
    /// Only sessions older than this one (the previous page's `nextCursor`); nil for the first page.
    public var before: SessionID?

    public init(query: SearchQuery, filter: TranscriptFilter = TranscriptFilter(), before: SessionID? = nil) {
        self.query = query
        self.filter = filter
        self.before = before
    }
}

/// One session found: its summary, where it matched (the newest matching event's seq, or 0 for the session's
/// subject, customer or organization) and a snippet of that text with the matches marked.
public struct SearchHit: Sendable, Equatable {
    public var summary: TranscriptSummary
    public var seq: Seq
    public var snippet: [SnippetPart]
}

/// A page of search results, newest session first.
public struct SearchPage: Sendable, Equatable {
    public var hits: [SearchHit]
    /// Sessions matching the query and filters: exact when `totalIsExact`, else at least this many (counting
    /// stopped after `ChatStore.searchCountBudget` index hits).
    public var total: Int
    public var totalIsExact: Bool
    /// Pass as `before` for the next page; nil when this page is the last.
    public var nextCursor: SessionID?
}

extension ChatStore {
    /// Index hits a search reads past its page to count the total, at most.
    public static let searchCountBudget = 5_000

    /// Sessions whose text matches `search.query` (the `SearchIndex` file) and whose row matches `search.filter`, newest
    /// first, one page after `search.before`. Hits come from the index in session order, newest first, so a
    /// page costs the hits up to it from its cursor (a seek), not the pages before it.
    ///
    /// Blocking; any thread but the lws service thread.
    public func search(_ search: TranscriptSearch) throws -> SearchPage {
        let limit = search.filter.effectiveLimit
        let (conditions, conditionArguments) = Self.singleSessionConditions(search.filter)
        // Hits come from the index file, newest session first; each candidate session is checked against the
        // filter in this database. Two reads, not one snapshot: a session deleted meanwhile is simply not found.
        var found: [(row: SessionRow, seq: Seq)] = []
        var total = 0, exact = true
        try self.search.pool.read { searchDB in
            try dbPool.read { db in
                let candidate = try db.makeStatement(sql: "SELECT s.* FROM sessions s WHERE s.id = ?\(conditions)")
                let upper = search.before.map { max(0, $0) << 20 } ?? Int64.max
                let hits = try Int64.fetchCursor(searchDB, sql: """
                    SELECT rowid FROM search_text WHERE search_text MATCH ? AND rowid < ? ORDER BY rowid DESC
                    """, arguments: [search.query.matchExpression, upper])
                var scanned = 0
                var previous: SessionID?
                while let rowid = try hits.next() {
                    scanned += 1
                    let sessionID = rowid >> 20
                    if sessionID == previous { continue }   // the session's newest hit came first
                    previous = sessionID
                    guard let row = try SessionRow.fetchOne(candidate, arguments: [sessionID] + conditionArguments) else {
                        continue
                    }
                    total += 1
                    if found.count < limit { found.append((row, rowid & SearchIndex.maxSeq)) }
                    if found.count == limit && scanned >= Self.searchCountBudget {
                        exact = false
                        break
                    }
                }
            }
        }
        return try dbPool.read { db in
            var results: [SearchHit] = []
            for (row, seq) in found {
                let record = row.record
                let stored = try EventReads.aggregates(db, sessionID: record.id)
                let text = try Self.searchedText(db, record: record, seq: seq)
                results.append(SearchHit(summary: TranscriptSummary(record: record, lastSeq: stored.lastSeq,
                                                                     messageCount: stored.messageCount),
                                         seq: seq, snippet: search.query.snippet(text)))
            }
            let more = total > found.count || !exact
            return SearchPage(hits: results, total: total, totalIsExact: exact,
                              nextCursor: more ? found.last?.row.record.id : nil)
        }
    }

    /// The text a search document was made of (`SearchDocuments`), read back for its snippet.
    static func searchedText(_ db: Database, record: ChatSessionRecord, seq: Seq) throws -> String {
        if seq == 0 {
            let organization = try String.fetchOne(db, sql: "SELECT name FROM organizations WHERE id = ?",
                                                   arguments: [record.organizationID]) ?? record.organizationID
            return [record.subject, record.customer.name, record.customer.email, organization].joined(separator: " ")
        }
        guard let event = try EventReads.event(db, sessionID: record.id, seq: seq) else { return "" }
        if event.kind == .converted, let number = event.ticketNumber {
            return "ticket \(number)" + (event.text.map { " " + $0 } ?? "")
        }
        return event.text ?? ""
    }

    /// The filter's conditions on one session row `s` (appended to `WHERE s.id = ?`), and their arguments.
    static func singleSessionConditions(_ filter: TranscriptFilter) -> (String, StatementArguments) {
        var sql = ""
        var arguments = StatementArguments()
        if let organizationID = filter.organizationID {
            sql += " AND s.organization_id = ?"
            arguments += [organizationID]
        }
        if let contactID = filter.contactID {
            sql += " AND s.contact_id = ?"
            arguments += [contactID]
        }
        if let agentID = filter.agentID {
            sql += """
                 AND EXISTS (SELECT 1 FROM session_agents a
                             WHERE a.agent_id = ? AND a.created_at = s.created_at AND a.session_id = s.id)
                """
            arguments += [agentID]
        }
        if let from = filter.from {
            sql += " AND s.created_at >= ?"
            arguments += [from.timeIntervalSince1970]
        }
        if let to = filter.to {
            sql += " AND s.created_at < ?"
            arguments += [to.timeIntervalSince1970]
        }
        if let outcome = filter.outcome {
            sql += " AND s.outcome = ?"
            arguments += [outcome.rawValue]
        }
        if let state = filter.state {
            sql += " AND s.state = ?"
            arguments += [state.rawValue]
        }
        return (sql, arguments)
    }
}
