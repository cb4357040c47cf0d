import ChatCore
import GRDB

extension ChatStore {
    /// Sessions matching `filter`, newest first (by creation time, then id), one page of them.
    ///
    /// Blocking; any thread but the lws service thread (transcript pages are served by HTTP workers).
    public func sessions(matching filter: TranscriptFilter) throws -> [TranscriptSummary] {
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
            // Joins and transfers name the agent in session_events.agent_id; the session row names the last one.
            conditions.append("""
                (s.agent_id = ? OR s.id IN (SELECT session_id FROM session_events WHERE agent_id = ?))
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
        switch filter.outcome {
        case .open?: conditions.append("s.state <> 'closed'")
        case .closed?: conditions.append("s.state = 'closed' AND s.ticket_number IS NULL")
        case .converted?: conditions.append("s.ticket_number IS NOT NULL")
        case nil: break
        }
        if let state = filter.state {
            conditions.append("s.state = ?")
            arguments += [state.rawValue]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [filter.effectiveLimit, filter.effectiveOffset]
        let sql = """
            SELECT s.*,
                   (SELECT COALESCE(MAX(seq), 0) FROM session_events e WHERE e.session_id = s.id) AS last_seq,
                   (SELECT COUNT(*) FROM session_events e
                     WHERE e.session_id = s.id AND e.kind = 'message') AS message_count
            FROM sessions s
            \(whereClause)
            ORDER BY s.created_at DESC, s.id DESC
            LIMIT ? OFFSET ?
            """
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
}
