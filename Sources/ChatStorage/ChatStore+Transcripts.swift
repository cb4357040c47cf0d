import ChatCore
import GRDB

extension ChatStore {
    /// Sessions matching `filter`, newest first (by creation time, then id), one page of them.
    ///
    /// Blocking; any thread but the lws service thread (transcript pages are served by HTTP workers).
    public func sessions(matching filter: TranscriptFilter) throws -> [TranscriptSummary] {
        let (sql, arguments) = Self.listingSQL(filter)
        return try dbPool.read { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            var summaries: [TranscriptSummary] = []
            while let row = try rows.next() {
                summaries.append(TranscriptSummary(record: try SessionRow(row: row).record,
                                                   lastSeq: row["last_seq"], messageCount: row["message_count"]))
            }
            return summaries
        }
    }

    /// SQLite's plan for the listing of `filter`, one step a line (tests check that no filter sorts its rows).
    func transcriptListingPlan(_ filter: TranscriptFilter) throws -> String {
        let (sql, arguments) = Self.listingSQL(filter)
        return try dbPool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }.joined(separator: "\n")
        }
    }

    static func listingSQL(_ filter: TranscriptFilter) -> (String, StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let organizationID = filter.organizationID {
            conditions.append("s.organization_id = ?")
            arguments += [organizationID]
        }
        if let contactID = filter.contactID {
            conditions.append("s.contact_id = ?")
            arguments += [contactID]
        }
        if let agentID = filter.agentID {
            // Joins and transfers name the agent in session_events.agent_id; the session row names the last one
            // (UNION of the two indexed lookups: an OR here would scan every session).
            conditions.append("""
                s.id IN (SELECT session_id FROM session_events WHERE agent_id = ? UNION SELECT id FROM sessions WHERE agent_id = ?)
                """)
            arguments += [agentID, agentID]
        }
        if let from = filter.from {
            conditions.append("s.created_at >= ?")
            arguments += [from.timeIntervalSince1970]
        }
        if let to = filter.to {
            conditions.append("s.created_at < ?")
            arguments += [to.timeIntervalSince1970]
        }
        if let outcome = filter.outcome {
            // `outcome` is generated from state and ticket_number (v7): open = not closed, closed = closed without
            // a ticket, converted = has a ticket.
            conditions.append("s.outcome = ?")
            arguments += [outcome.rawValue]
        }
        if let state = filter.state {
            conditions.append("s.state = ?")
            arguments += [state.rawValue]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [filter.effectiveLimit, filter.effectiveOffset]
        // The page's ids first, from an index that holds the filter's rows newest first (v7), so that an offset
        // skips index entries and only the page's rows are read; `last_seq` and `message_count` are kept on the
        // row by the writer. The agent filter is a set (every session the agent joined or was transferred to):
        // its rows are sorted by id and time only, before the page's rows are read.
        let sql = """
            SELECT s.* FROM sessions s
            WHERE s.id IN (SELECT s.id FROM sessions s
                           \(whereClause)
                           ORDER BY s.created_at DESC, s.id DESC
                           LIMIT ? OFFSET ?)
            ORDER BY s.created_at DESC, s.id DESC
            """
        return (sql, arguments)
    }
}
