import ChatCore
import GRDB

/// Reads of a session's events over the two places they live (v9-event-log): entries of `event_index` (events up
/// to `indexed_through`) and the unindexed tail of `events` after it. Inside one read, both come from the same
/// snapshot, so an event is found exactly once. Within a session, ids grow with seqs (events are appended in seq
/// order), and every indexed event of a session comes before its tail.
///
/// Confined to the database access closure that passes `db`.
enum EventReads {
    /// Every event with an id after this has no `event_index` entry yet.
    static func indexedThrough(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT indexed_through FROM event_index_state WHERE id = 1") ?? 0
    }

    /// The events of `sessionID` with `seq > afterSeq` in seq order, at most `limit` (all when nil).
    static func events(_ db: Database, sessionID: SessionID, afterSeq: Seq, limit: Int?) throws -> [SessionEvent] {
        let limit = limit.map { max(0, $0) }
        var events = try SessionEventRow.fetchAll(db, sql: """
            SELECT e.* FROM event_index i JOIN events e ON e.id = i.event_id
            WHERE i.session_id = ? AND i.seq > ? ORDER BY i.seq LIMIT ?
            """, arguments: [sessionID, afterSeq, limit ?? -1]).map(\.event)
        if let limit, events.count >= limit { return events }
        let remaining = limit.map { $0 - events.count } ?? -1
        events += try SessionEventRow.fetchAll(db, sql: """
            SELECT * FROM events WHERE id > ? AND session_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """, arguments: [try indexedThrough(db), sessionID, events.last?.seq ?? afterSeq, remaining]).map(\.event)
        return events
    }

    /// The event of `sessionID` with exactly this seq, or nil.
    static func event(_ db: Database, sessionID: SessionID, seq: Seq) throws -> SessionEvent? {
        try events(db, sessionID: sessionID, afterSeq: seq - 1, limit: 1).first.flatMap { $0.seq == seq ? $0 : nil }
    }

    /// The event an author stored under a client message id in a session, or nil. Reads the session's events
    /// (a closed chat's, at most a few hundred); open chats' ids are answered by the engine from memory.
    static func event(_ db: Database, sessionID: SessionID, key: ClientMessageKey) throws -> SessionEvent? {
        let arguments: StatementArguments = [sessionID, key.author.role.rawValue, key.author.id, key.clientID]
        if let indexed = try SessionEventRow.fetchOne(db, sql: """
            SELECT e.* FROM event_index i JOIN events e ON e.id = i.event_id
            WHERE i.session_id = ? AND e.author_role = ? AND e.author_id = ? AND e.client_msg_id = ?
            """, arguments: arguments) {
            return indexed.event
        }
        return try SessionEventRow.fetchOne(db, sql: """
            SELECT * FROM events WHERE id > ? AND session_id = ? AND author_role = ? AND author_id = ? AND client_msg_id = ?
            """, arguments: [try indexedThrough(db)] + arguments)?.event
    }

    /// The highest committed seq of a session (0 without events) and its number of `message` events.
    static func aggregates(_ db: Database, sessionID: SessionID) throws -> (lastSeq: Seq, messageCount: Int) {
        // Messages of the tail above the stored last seq: a flush in pieces may have counted this session's
        // first tail events already (`ChatStore.indexRange`).
        let row = try Row.fetchOne(db, sql: """
            SELECT s.last_seq, s.message_count,
                   (SELECT MAX(seq) FROM events WHERE id > ?1 AND session_id = ?2) AS tail_seq,
                   (SELECT COUNT(*) FROM events WHERE id > ?1 AND session_id = ?2 AND kind = 'message' AND seq > s.last_seq)
                       AS tail_messages
            FROM sessions s WHERE s.id = ?2
            """, arguments: [try indexedThrough(db), sessionID])
        guard let row else { return (0, 0) }
        let indexedSeq: Seq = row["last_seq"]
        let tailSeq: Seq? = row["tail_seq"]
        return (max(indexedSeq, tailSeq ?? 0), (row["message_count"] as Int) + (row["tail_messages"] as Int))
    }

    /// The tail's highest seq and message count for each of `sessions` that has events in it: what
    /// `sessions.last_seq` and `message_count` do not count yet (messages above the stored last seq, as in
    /// `aggregates`). One range scan of the tail that tallies only those sessions (a listing's page: tallying
    /// every chat of an 8,192-event tail took 2.9 ms, bench/ANALYSIS.md).
    static func tailAggregates(_ db: Database, sessions: [SessionID]) throws -> [SessionID: (lastSeq: Seq, messageCount: Int)] {
        var tally: [SessionID: (lastSeq: Seq, messageCount: Int)] = [:]
        guard !sessions.isEmpty else { return tally }
        let list = sessions.map(String.init).joined(separator: ",")   // integers: nothing to escape
        let rows = try Row.fetchCursor(db, sql: """
            SELECT e.session_id, MAX(e.seq), SUM(e.kind = 'message' AND e.seq > s.last_seq)
            FROM events e JOIN sessions s ON s.id = e.session_id WHERE e.id > ? AND e.session_id IN (\(list))
            GROUP BY e.session_id
            """, arguments: [try indexedThrough(db)])
        while let row = try rows.next() {
            tally[row[0]] = (row[1], row[2])
        }
        return tally
    }

    /// Whether a session has any committed event.
    static func hasEvents(_ db: Database, sessionID: SessionID) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM event_index WHERE session_id = ?2)
                OR EXISTS (SELECT 1 FROM events WHERE id > ?1 AND session_id = ?2)
            """, arguments: [try indexedThrough(db), sessionID]) ?? false
    }
}
