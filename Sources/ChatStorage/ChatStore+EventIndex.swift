import ChatCore
import GRDB

extension ChatStore {
    /// Indexes the tail (v9-event-log): writes the `event_index` entries of every event after `indexed_through`
    /// (the full-text index is built apart, by `SearchIndex`),
    /// sorted by session so each active session's index leaf is touched once, moves `sessions.last_seq` and
    /// `message_count` forward (and sets `first_joined_at`, `first_agent_reply_at` the first time) by what those events add, and moves the boundary. Runs inside the caller's write
    /// transaction (the group-commit writer's, so it commits or rolls back with a batch). Returns how many events
    /// it indexed. The writer never appends a second event for a (session, seq) (`PreparedWrites`); were one ever
    /// there, the first keeps the entry (OR IGNORE) rather than every later batch failing on it.
    static func indexTail(_ db: Database) throws -> Int {
        let from = try EventReads.indexedThrough(db)
        guard let through = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events"), through > from else { return 0 }
        let range: StatementArguments = [from, through]
        try db.execute(sql: """
            INSERT OR IGNORE INTO event_index (session_id, seq, event_id)
                SELECT session_id, seq, id FROM events WHERE id > ?1 AND id <= ?2 ORDER BY session_id, seq
            """, arguments: range)
        try db.execute(sql: """
            UPDATE sessions SET last_seq = max(sessions.last_seq, t.last_seq), message_count = sessions.message_count + t.messages,
                                first_joined_at = COALESCE(sessions.first_joined_at, t.joined),
                                first_agent_reply_at = COALESCE(sessions.first_agent_reply_at, t.replied)
                FROM (SELECT session_id, MAX(seq) AS last_seq, SUM(kind = 'message') AS messages,
                             MIN(at) FILTER (WHERE kind = 'joined') AS joined,
                             MIN(at) FILTER (WHERE kind = 'message' AND author_role IN ('agent', 'supervisor')) AS replied
                      FROM events WHERE id > ?1 AND id <= ?2 GROUP BY session_id) AS t
                WHERE sessions.id = t.session_id
            """, arguments: range)
        try db.execute(sql: "UPDATE event_index_state SET indexed_through = ? WHERE id = 1", arguments: [through])
        return Int(through - from)
    }

    /// Events not indexed yet. Blocking; any thread but the lws service thread.
    public func unindexedEventCount() throws -> Int {
        try dbPool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE id > ?",
                             arguments: [try EventReads.indexedThrough(db)]) ?? 0
        }
    }

    /// Indexes every event not indexed yet, in its own transaction (start-up, admin tools, tests).
    /// Blocking; any thread but the lws service thread; not while a `GroupCommitWriter` is writing this store
    /// from another thread is fine too (SQLite serializes the writes).
    @discardableResult
    public func indexAllEvents() throws -> Int {
        try dbPool.write { db in try Self.indexTail(db) }
    }
}
