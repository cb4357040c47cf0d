import ChatCore
import GRDB

extension ChatStore {
    /// A flush of the tail is written in this many pieces, one per commit, each for the chats whose id leaves
    /// this remainder (`session_id % flushPieces`). Each chat's index leaf and session row are still written once
    /// per flush (no piece touches another's chats), but no single commit holds the whole flush: at 4,096 events
    /// from 300 chats the whole took 10-15 ms in one transaction, and every message arriving meanwhile waited for
    /// it (the p99 at 8,000 msgs/s; bench/ANALYSIS.md).
    static let flushPieces = 8
    /// Events per piece the flush aims at: a store with a larger `eventIndexBatch` writes its flush in more pieces
    /// (`flushPieces(forBatch:)`), so no piece grows with the batch.
    static let eventsPerFlushPiece = 512

    /// Pieces of a flush of `batch` events: `flushPieces` at least, more for batches above 4,096 (64 at most).
    static func flushPieces(forBatch batch: Int) -> Int {
        min(64, max(flushPieces, batch / eventsPerFlushPiece))
    }

    /// Indexes the whole tail (v9-event-log) in the caller's transaction (start-up, an idle writer, stop, tests):
    /// `indexRange` over every event after `indexed_through`, then moves the boundary. Returns how many events it
    /// indexed. Safe after pieces of an unfinished flush (see `indexRange`).
    static func indexTail(_ db: Database) throws -> Int {
        let from = try EventReads.indexedThrough(db)
        guard let through = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events"), through > from else { return 0 }
        try indexRange(db, from: from, through: through, piece: nil)
        try setIndexedThrough(db, through)
        return Int(through - from)
    }

    /// Writes the `event_index` entries of the events with ids in `(from, through]` (the full-text index is built
    /// apart, by `SearchIndex`), sorted by session so each session's index leaf is touched once, and moves
    /// `sessions.last_seq` and `message_count` forward (and sets `first_joined_at`, `first_agent_reply_at` the
    /// first time) by what those events add; with `piece` (k, n), only for the sessions whose id modulo n is k.
    /// Does not move `indexed_through`: the caller does, once every piece of the range is written.
    ///
    /// Idempotent, so a range may be written again after some of its pieces (a restarted writer indexes the whole
    /// tail): entries are INSERT OR IGNORE (the first keeps the entry, were a (session, seq) ever there twice), and
    /// a session's count only adds messages with a seq above its stored `last_seq` (within a session, ids grow with
    /// seqs, so those are exactly the ones not counted yet). Readers add the tail the same way (`EventReads`).
    static func indexRange(_ db: Database, from: Int64, through: Int64, piece: (index: Int, of: Int)?) throws {
        var arguments: StatementArguments = [from, through]
        var filter = ""
        if let piece {
            filter = " AND (e.session_id % ?3 + ?3) % ?3 = ?4"   // non-negative, as `TailMemory.piece(of:count:)`
            arguments += [piece.of, piece.index]
        }
        try db.execute(sql: """
            INSERT OR IGNORE INTO event_index (session_id, seq, event_id)
                SELECT e.session_id, e.seq, e.id FROM events e WHERE e.id > ?1 AND e.id <= ?2\(filter)
                ORDER BY e.session_id, e.seq
            """, arguments: arguments)
        try db.execute(sql: """
            UPDATE sessions SET last_seq = max(sessions.last_seq, t.last_seq), message_count = sessions.message_count + t.messages,
                                first_joined_at = COALESCE(sessions.first_joined_at, t.joined),
                                first_agent_reply_at = COALESCE(sessions.first_agent_reply_at, t.replied)
                FROM (SELECT e.session_id, MAX(e.seq) AS last_seq, SUM(e.kind = 'message' AND e.seq > s.last_seq) AS messages,
                             MIN(e.at) FILTER (WHERE e.kind = 'joined') AS joined,
                             MIN(e.at) FILTER (WHERE e.kind = 'message' AND e.author_role IN ('agent', 'supervisor')) AS replied
                      FROM events e JOIN sessions s ON s.id = e.session_id
                      WHERE e.id > ?1 AND e.id <= ?2\(filter) GROUP BY e.session_id) AS t
                WHERE sessions.id = t.session_id
            """, arguments: arguments)
    }

    /// `indexRange` for one piece from the writer's memory (`TailMemory.pieces`): the same entries and aggregates,
    /// without reading `events`. `entries` are sorted by session and seq. Idempotent the same way: a session's
    /// count only adds messages with a seq above its stored `last_seq`, read first.
    static func indexEntries(_ db: Database, _ entries: [TailEntry]) throws {
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO event_index (session_id, seq, event_id) VALUES (?, ?, ?)")
        for entry in entries {
            try RawStatement.run(insert, entry.sessionID, entry.seq, entry.eventID)
        }
        let storedLastSeq = try db.cachedStatement(sql: "SELECT last_seq FROM sessions WHERE id = ?")
        let update = try db.cachedStatement(sql: """
            UPDATE sessions SET last_seq = max(last_seq, ?2), message_count = message_count + ?3,
                                first_joined_at = COALESCE(first_joined_at, ?4),
                                first_agent_reply_at = COALESCE(first_agent_reply_at, ?5)
                WHERE id = ?1
            """)
        var start = entries.startIndex
        while start < entries.endIndex {
            let session = entries[start].sessionID
            var end = start
            while end < entries.endIndex && entries[end].sessionID == session { end += 1 }
            defer { start = end }
            guard let stored = try Int64.fetchOne(storedLastSeq, arguments: [session]) else { continue }
            var messages: Int64 = 0
            var joined: Double?
            var replied: Double?
            for entry in entries[start..<end] {
                switch entry.effect {
                case .message, .agentReply:
                    if entry.seq > stored { messages += 1 }
                    if entry.effect == .agentReply { replied = min(replied ?? entry.at, entry.at) }
                case .joined: joined = min(joined ?? entry.at, entry.at)
                case .none: break
                }
            }
            try update.execute(arguments: [session, entries[end - 1].seq, messages, joined, replied])
        }
    }

    /// Moves the boundary forward (never back: another connection may have indexed further meanwhile): every
    /// event up to `through` has its index entry and is in the session aggregates.
    static func setIndexedThrough(_ db: Database, _ through: Int64) throws {
        try db.execute(sql: "UPDATE event_index_state SET indexed_through = max(indexed_through, ?) WHERE id = 1", arguments: [through])
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
