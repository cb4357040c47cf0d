import ChatCore
import Foundation

// The transcript listing on PostgreSQL: the same filters, order (newest first: `created_at DESC, id DESC`), keyset
// cursor and offsets as SQLite's (ChatStore+Transcripts.swift). Each filter has an index holding its rows in
// that order (p1-core's `sessions_by_*`, read backwards; `session_agents` for the agent filter), so a page reads
// its rows only. `last_seq` and `message_count` are kept on the session row by the writer.
//
// Threading: blocking, thread-safe (a pooled connection per call); never on the lws service thread.
extension PostgresStore {
    /// Sessions matching `filter`, newest first (by creation time, then id), one page of them.
    public func sessions(matching filter: TranscriptFilter) throws -> [TranscriptSummary] {
        let (sql, parameters) = Self.listingSQL(filter)
        return try pool.with { connection in
            try PGSupervisionRows.all(try connection.execute(sql, parameters), PGSupervisionRows.summary)
        }
    }

    /// How many sessions match `filter` in all (its limit, offset and cursor are ignored).
    public func countSessions(matching filter: TranscriptFilter) throws -> Int {
        let (sql, parameters) = Self.listingSQL(filter, counting: true)
        return try pool.with { Int(try $0.execute(sql, parameters).int(0, 0) ?? 0) }
    }

    /// The header facts of one transcript: when the first agent joined and every agent who handled it, in order
    /// of their first join or transfer. Reads only the session's `joined` and `transferred` events.
    public func transcriptFacts(sessionID: SessionID) throws -> TranscriptFacts {
        let rows = try pool.with { connection in
            try connection.execute("""
                SELECT kind, at, agent_id, agent_name FROM events
                WHERE session_id = $1 AND kind IN ('joined', 'transferred') ORDER BY seq
                """, [.int(sessionID)])
        }
        var facts = TranscriptFacts()
        var seen = Set<StaffID>()
        for i in 0..<rows.count {
            let kind = rows.string(i, 0)
            if kind == "joined", facts.firstJoinedAt == nil { facts.firstJoinedAt = rows.date(i, 1) }
            if let agentID = rows.int(i, 2), seen.insert(agentID).inserted {
                facts.agents.append(StaffRef(id: agentID, name: rows.string(i, 3) ?? ""))
            }
        }
        return facts
    }

    /// The conditions of `filter` on a `sessions s` row, for one session at a time (search, analytics).
    static func sessionConditions(_ filter: TranscriptFilter, _ statement: inout PGStatement) -> [String] {
        var conditions: [String] = []
        if let organizationID = filter.organizationID {
            conditions.append("s.organization_id = \(statement.bind(.text(organizationID)))")
        }
        if let contactID = filter.contactID { conditions.append("s.contact_id = \(statement.bind(.text(contactID)))") }
        if let agentID = filter.agentID {
            conditions.append("""
                EXISTS (SELECT 1 FROM session_agents a WHERE a.agent_id = \(statement.bind(.int(agentID)))
                        AND a.created_at = s.created_at AND a.session_id = s.id)
                """)
        }
        if let from = filter.from { conditions.append("s.created_at >= \(statement.bind(pg(from)))") }
        if let to = filter.to { conditions.append("s.created_at < \(statement.bind(pg(to)))") }
        if let outcome = filter.outcome {
            conditions.append("s.outcome = \(statement.bind(.text(outcome.rawValue)))")
        }
        if let state = filter.state { conditions.append("s.state = \(statement.bind(.text(state.rawValue)))") }
        return conditions
    }

    static func listingSQL(_ filter: TranscriptFilter, counting: Bool = false) -> (String, [PGValue?]) {
        var statement = PGStatement()
        var conditions: [String] = []
        if let organizationID = filter.organizationID {
            conditions.append("s.organization_id = \(statement.bind(.text(organizationID)))")
        }
        if let contactID = filter.contactID { conditions.append("s.contact_id = \(statement.bind(.text(contactID)))") }
        // The agent filter reads `session_agents` (newest first per agent); sessions rows are joined only when
        // another filter needs them.
        let sessionConditions = !conditions.isEmpty || filter.outcome != nil || filter.state != nil
        let fromClause: String
        switch (filter.agentID, sessionConditions) {
        case (nil, _): fromClause = "s.id FROM sessions s"
        case (_?, true): fromClause = "a.session_id FROM session_agents a JOIN sessions s ON s.id = a.session_id"
        case (_?, false): fromClause = "a.session_id FROM session_agents a"
        }
        if let agentID = filter.agentID { conditions.append("a.agent_id = \(statement.bind(.int(agentID)))") }
        let createdAt = filter.agentID == nil ? "s.created_at" : "a.created_at"
        if let from = filter.from { conditions.append("\(createdAt) >= \(statement.bind(pg(from)))") }
        if let to = filter.to { conditions.append("\(createdAt) < \(statement.bind(pg(to)))") }
        if let outcome = filter.outcome {
            conditions.append("s.outcome = \(statement.bind(.text(outcome.rawValue)))")
        }
        if let state = filter.state { conditions.append("s.state = \(statement.bind(.text(state.rawValue)))") }
        if counting {
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return ("SELECT COUNT(*) FROM (SELECT \(fromClause) \(whereClause)) AS matching", statement.parameters)
        }
        let id = filter.agentID == nil ? "s.id" : "a.session_id"
        if let cursor = filter.after {
            // Keyset: strictly older than the cursor in (created_at DESC, id DESC), a row comparison the index seeks to.
            conditions.append("(\(createdAt), \(id)) < (\(statement.bind(.double(cursor.createdAt))), \(statement.bind(.int(cursor.sessionID))))")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT \(PGSupervisionRows.summaryColumns("s")) FROM sessions s
            WHERE s.id IN (SELECT \(fromClause)
                           \(whereClause)
                           ORDER BY \(createdAt) DESC, \(id) DESC
                           LIMIT \(statement.bind(.int(Int64(filter.effectiveLimit))))
                           OFFSET \(statement.bind(.int(Int64(filter.effectiveOffset)))))
            ORDER BY s.created_at DESC, s.id DESC
            """
        return (sql, statement.parameters)
    }
}
