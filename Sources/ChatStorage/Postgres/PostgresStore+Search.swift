import ChatCore
import Foundation

// Full-text search on PostgreSQL: `search_documents` (p2-supervision) holds one `tsvector` per searchable event and
// per session header, written by triggers in the transaction that writes the event or the session row, so a
// committed message is searchable at once and `indexSearch` has nothing to do. Text and query are folded the
// same way (accents and case do not matter; every run of non-alphanumerics separates words), words match whole,
// `brul*` as a prefix, "..." as a phrase (`<->`), all terms must match. Nothing typed is tsquery syntax: the
// query is built from `SearchQuery`'s words, each a quoted lexeme.
//
// Results as SQLite's: one per chat, newest chat (highest id) first, `before` a session id, the hit the chat's
// newest matching document (seq 0: the header), total counted up to `ChatStore.searchCountBudget` chats, and the
// snippet made by `SearchQuery.snippet` from the matched text (so both backends mark the same words).
//
// Threading: blocking, thread-safe (a pooled connection per call); never on the lws service thread.
extension PostgresStore {
    /// Sessions whose text matches `search.query` and whose row matches `search.filter`, newest first, one page
    /// after `search.before`.
    public func search(_ search: TranscriptSearch) throws -> SearchPage {
        let limit = search.filter.effectiveLimit
        var statement = PGStatement()
        let query = statement.bind(.text(search.query.tsQuery))
        let upper = statement.bind(.int(search.before.map { max(0, $0) } ?? Int64.max))
        let conditions = Self.sessionConditions(search.filter, &statement)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let hits = """
            WITH hits AS (
                SELECT d.session_id, MAX(d.seq) AS seq FROM search_documents d
                WHERE d.document @@ to_tsquery('simple', \(query)) AND d.session_id < \(upper)
                GROUP BY d.session_id
            )
            """
        let countSQL = """
            \(hits)
            SELECT COUNT(*) FROM (SELECT 1 FROM hits h JOIN sessions s ON s.id = h.session_id \(whereClause)
                                  LIMIT \(ChatStore.searchCountBudget + 1)) AS counted
            """
        var pageStatement = statement
        let pageSQL = """
            \(hits)
            SELECT \(PGSupervisionRows.summaryColumns("s")), h.seq AS hit_seq,
                   CASE WHEN h.seq = 0 THEN \(Self.headerDocumentSQL("s")) ELSE \(Self.eventDocumentSQL("e")) END AS hit_text
            FROM hits h JOIN sessions s ON s.id = h.session_id
            LEFT JOIN events e ON e.session_id = h.session_id AND e.seq = h.seq AND h.seq > 0
            \(whereClause)
            ORDER BY s.id DESC LIMIT \(pageStatement.bind(.int(Int64(limit))))
            """
        let (rows, counted) = try pool.with { connection in
            try connection.transaction { c in
                (try c.execute(pageSQL, pageStatement.parameters),
                 Int(try c.execute(countSQL, statement.parameters).int(0, 0) ?? 0))
            }
        }
        var results: [SearchHit] = []
        for i in 0..<rows.count {
            results.append(SearchHit(summary: try PGSupervisionRows.summary(rows, i), seq: rows.int(i, "hit_seq") ?? 0,
                                     snippet: search.query.snippet(rows.string(i, "hit_text") ?? "")))
        }
        let exact = counted <= ChatStore.searchCountBudget
        let total = max(min(counted, ChatStore.searchCountBudget), results.count)
        let more = total > results.count || !exact
        return SearchPage(hits: results, total: total, totalIsExact: exact,
                          nextCursor: more ? results.last?.summary.record.id : nil)
    }
}

extension SearchQuery {
    /// The query as a `tsquery` text for the `simple` configuration: every word a quoted lexeme (nothing typed is
    /// syntax), a phrase's words joined by `<->`, a prefix term's last word marked `:*`, terms joined by `&`.
    var tsQuery: String {
        terms.map { term in
            let words = term.words.enumerated().map { index, word in
                let quoted = "'" + word.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "'", with: "''") + "'"
                return term.isPrefix && index == term.words.count - 1 ? quoted + ":*" : quoted
            }
            return words.count == 1 ? words[0] : "(" + words.joined(separator: " <-> ") + ")"
        }.joined(separator: " & ")
    }
}
