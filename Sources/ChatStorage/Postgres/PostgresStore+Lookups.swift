import ChatCore
import Foundation

/// Reads that answer the engine about chats that are not in memory: the request ledger, resends to closed chats,
/// pages of a replay, a session's row, events and read markers (as `ChatStore+Lookups.swift`, `+Sessions.swift`).
///
/// Threading: blocking (network round trips) and thread-safe (a pooled connection per call); any thread but the
/// lws service thread. A call that reads several tables runs in one REPEATABLE READ transaction (one snapshot).
extension PostgresStore {
    /// A session with what summaries and access rules need, or nil. `handledBy` holds `staffCandidate` when that
    /// staff member was ever assigned to the chat (one lookup of `session_agents`).
    public func storedSession(id: SessionID, staffCandidate: StaffID? = nil) throws -> StoredSession? {
        try snapshot { try Self.storedSession($0, id, staffCandidate: staffCandidate) }
    }

    /// The chat a `request_chat` with this key created (open or closed) and its first event, or nil.
    public func chatRequest(_ key: ChatRequestKey) throws -> (session: StoredSession, firstEvent: SessionEvent?)? {
        try snapshot { c in
            let rows = try c.execute("""
                SELECT id FROM sessions WHERE organization_id = $1 AND contact_id = $2 AND request_client_id = $3
                """, [.text(key.organizationID), .text(key.contactID), .text(key.clientID)])
            guard let id = rows.int(0, 0), let session = try Self.storedSession(c, id) else { return nil }
            return (session, try Self.events(c, sessionID: id, afterSeq: 0, limit: 1).first { $0.seq == 1 })
        }
    }

    /// The event an author stored under a client message id in a session, or nil (the unique index answers).
    public func event(sessionID: SessionID, key: ClientMessageKey) throws -> SessionEvent? {
        try pool.with { c in
            let rows = try c.execute("""
                SELECT \(PGRows.eventColumns) FROM events
                WHERE session_id = $1 AND author_role = $2 AND author_id = $3 AND client_msg_id = $4
                """, [.int(sessionID), .text(key.author.role.rawValue), .text(key.author.id), .text(key.clientID)])
            return rows.count == 0 ? nil : try PGRows.event(rows, 0)
        }
    }

    /// One page of a replay: the session, then (only if `mayRead` allows it) at most `limit` events after
    /// `afterSeq`. A refused reader costs the session's lookups, never the transcript.
    public func historyPage(sessionID: SessionID, afterSeq: Seq, limit: Int, staffCandidate: StaffID? = nil,
                            mayRead: (StoredSession) -> Bool) throws -> HistoryPage {
        try snapshot { c in
            guard let session = try Self.storedSession(c, sessionID, staffCandidate: staffCandidate) else {
                return HistoryPage(session: nil, events: [], isLast: true)
            }
            guard mayRead(session) else { return HistoryPage(session: session, events: [], isLast: true) }
            let limit = max(1, limit)
            var events = try Self.events(c, sessionID: sessionID, afterSeq: afterSeq, limit: limit + 1)
            let isLast = events.count <= limit
            if !isLast { events.removeLast() }
            return HistoryPage(session: session, events: events, isLast: isLast)
        }
    }

    /// The session with this id (open or closed), or nil.
    public func session(id: SessionID) throws -> ChatSessionRecord? {
        try pool.with { c in
            let rows = try c.execute("SELECT \(PGRows.sessionColumns) FROM sessions WHERE id = $1", [.int(id)])
            return rows.count == 0 ? nil : try PGRows.session(rows, 0)
        }
    }

    /// The committed events of a session with `seq > afterSeq`, in seq order, at most `limit` (all when nil).
    public func events(sessionID: SessionID, afterSeq: Seq = 0, limit: Int? = nil) throws -> [SessionEvent] {
        try pool.with { try Self.events($0, sessionID: sessionID, afterSeq: afterSeq, limit: limit) }
    }

    /// How far each role has read a session. Roles that never marked anything are absent.
    public func readMarkers(sessionID: SessionID) throws -> [Participant.Role: Seq] {
        try pool.with { try Self.readMarkers($0, sessionID) }
    }

    // MARK: On a given connection

    /// Runs `body` in a read-only REPEATABLE READ transaction on a pooled connection (one snapshot).
    func snapshot<T>(_ body: (PGConnection) throws -> T) throws -> T {
        try pool.with { c in
            try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            do {
                let value = try body(c)
                try c.execute("COMMIT")
                return value
            } catch {
                _ = try? c.execute("ROLLBACK")
                throw error
            }
        }
    }

    static func events(_ c: PGConnection, sessionID: SessionID, afterSeq: Seq, limit: Int?) throws -> [SessionEvent] {
        let rows = try c.execute("""
            SELECT \(PGRows.eventColumns) FROM events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
            """, [.int(sessionID), .int(afterSeq), limit.map { .int(Int64(max(0, $0))) }])
        return try PGRows.events(rows)
    }

    static func readMarkers(_ c: PGConnection, _ id: SessionID) throws -> [Participant.Role: Seq] {
        let rows = try c.execute("SELECT role, seq FROM read_markers WHERE session_id = $1", [.int(id)])
        var markers: [Participant.Role: Seq] = [:]
        for row in 0..<rows.count {
            if let role = rows.string(row, 0).flatMap(Participant.Role.init(rawValue:)) { markers[role] = rows.int(row, 1) ?? 0 }
        }
        return markers
    }

    static func storedSession(_ c: PGConnection, _ id: SessionID, staffCandidate: StaffID? = nil) throws -> StoredSession? {
        let rows = try c.execute("SELECT \(PGRows.sessionColumns) FROM sessions WHERE id = $1", [.int(id)])
        guard rows.count > 0 else { return nil }
        let record = try PGRows.session(rows, 0)
        let markers = try readMarkers(c, id)
        var handledBy = Set<StaffID>()
        if let staffCandidate {
            let found = try c.execute("""
                SELECT 1 FROM session_agents WHERE agent_id = $1 AND created_at = $2 AND session_id = $3
                """, [.int(staffCandidate), pg(record.createdAt), .int(id)])
            if found.count > 0 { handledBy.insert(staffCandidate) }
        }
        return StoredSession(record: record, lastSeq: rows.int(0, PGRows.sessionLastSeqColumn) ?? 0,
                             customerReadSeq: markers[.customer] ?? 0, agentReadSeq: markers[.agent] ?? 0,
                             handledBy: handledBy)
    }
}
