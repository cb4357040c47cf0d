import ChatCore
import GRDB

/// Reads that answer the engine about chats that are not in memory: the request ledger, resends to closed
/// chats, pages of a replay. Blocking; any thread but the lws service thread.
extension ChatStore {
    /// A session with what summaries and access rules need, or nil. `handledBy` tells whether `staffCandidate`
    /// (the staff member asking) was ever assigned to it, one index lookup; it is empty when nil. Pass nil for
    /// customers: their right follows from the record alone.
    public func storedSession(id: SessionID, staffCandidate: StaffID? = nil) throws -> StoredSession? {
        try dbPool.read { db in try Self.storedSession(db, id, staffCandidate: staffCandidate) }
    }

    /// The chat a `request_chat` with this key created (open or closed) and its first event, or nil.
    public func chatRequest(_ key: ChatRequestKey) throws -> (session: StoredSession, firstEvent: SessionEvent?)? {
        try dbPool.read { db in
            guard let id = try SessionID.fetchOne(db, sql: """
                SELECT id FROM sessions WHERE organization_id = ? AND contact_id = ? AND request_client_id = ?
                """, arguments: [key.organizationID, key.contactID, key.clientID]),
                let session = try Self.storedSession(db, id) else { return nil }   // customers: no staff lookup
            return (session, try EventReads.event(db, sessionID: id, seq: 1))
        }
    }

    /// The event an author stored under a client message id in a session, or nil.
    public func event(sessionID: SessionID, key: ClientMessageKey) throws -> SessionEvent? {
        try dbPool.read { db in try EventReads.event(db, sessionID: sessionID, key: key) }
    }

    /// One page of a replay: the session, then (only if `mayRead` allows the principal to see it) at most
    /// `limit` events after `afterSeq`. A refused reader costs a few index lookups, never the transcript.
    public func historyPage(sessionID: SessionID, afterSeq: Seq, limit: Int, staffCandidate: StaffID? = nil,
                            mayRead: (StoredSession) -> Bool) throws -> HistoryPage {
        try dbPool.read { db in
            guard let session = try Self.storedSession(db, sessionID, staffCandidate: staffCandidate) else {
                return HistoryPage(session: nil, events: [], isLast: true)
            }
            guard mayRead(session) else { return HistoryPage(session: session, events: [], isLast: true) }
            let limit = max(1, limit)
            var events = try EventReads.events(db, sessionID: sessionID, afterSeq: afterSeq, limit: limit + 1)
            let isLast = events.count <= limit
            if !isLast { events.removeLast() }
            return HistoryPage(session: session, events: events, isLast: isLast)
        }
    }

    static func storedSession(_ db: Database, _ id: SessionID, staffCandidate: StaffID? = nil) throws -> StoredSession? {
        guard let row = try SessionRow.fetchOne(db, sql: "SELECT * FROM sessions WHERE id = ?", arguments: [id]) else {
            return nil
        }
        let markers = try readMarkers(db, id)
        // `session_agents` is keyed (agent_id, created_at, session_id): one lookup, whatever the agent's history.
        var handledBy: [StaffID] = []
        if let staffCandidate, try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM session_agents WHERE agent_id = ? AND created_at = ? AND session_id = ?)
            """, arguments: [staffCandidate, row.record.createdAt.timeIntervalSince1970, id]) == true {
            handledBy = [staffCandidate]
        }
        return StoredSession(record: row.record, lastSeq: try EventReads.aggregates(db, sessionID: id).lastSeq, customerReadSeq: markers[.customer] ?? 0,
                             agentReadSeq: markers[.agent] ?? 0, handledBy: Set(handledBy))
    }
}
