import ChatCore
import Foundation
import GRDB

/// The full-text index of conversations, in a SQLite file of its own next to the database (`search.sqlite`).
///
/// Why a file of its own: the index is derived data (everything in it can be rebuilt from `events` and
/// `sessions`), and building it is real work (FTS5 tokenizes and writes segments: tens to hundreds of
/// milliseconds for a few thousand messages). In the chat database that work would run inside the group-commit
/// writer's transactions and hold SQLite's one write lock, stalling every acknowledgement behind it. Here it has its
/// own write lock, its own thread (`SearchIndexer`) and no fsync (`synchronous = OFF`): a crash can lose the newest
/// index entries, and the indexer simply indexes again from the last event id the file remembers.
///
/// Documents (contentless FTS5, `unicode61 remove_diacritics 2`): rowid `session_id << 20 | seq` for an event (a
/// request's or message's text, "ticket N" plus text for a conversion), `session_id << 20` for the session header
/// (subject, customer name and email, organization name), whose exact text is kept in `search_headers` so it can be
/// removed later. `search_state.indexed_through`: every event with a smaller or equal id has been indexed.
///
/// Threading: all methods block and are thread-safe (a `DatabasePool`: searches read while the indexer writes).
public final class SearchIndex: Sendable {
    public let path: String
    let pool: DatabasePool
    /// Seqs beyond this are not searchable (the rowid keeps 20 bits for the seq; chats are far shorter).
    static let maxSeq: Int64 = (1 << 20) - 1
    /// Events indexed per transaction of the index file. Larger transactions mean fewer FTS5 segments to merge
    /// later (200,000 benchmark messages indexed alone: 13% less CPU than with 2,000); 20,000 events of chat
    /// text are a few megabytes in memory.
    public static let defaultChunk = 20_000

    init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(ChatStore.busyTimeout)
        config.label = "SearchIndex"
        pool = try DatabasePool(path: path, configuration: config)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = OFF")   // derived data: rebuilt after a crash, never fsynced
        }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("s1-search") { db in
            try db.execute(sql: """
                CREATE VIRTUAL TABLE search_text USING fts5(text, content = '', tokenize = 'unicode61 remove_diacritics 2');
                CREATE TABLE search_headers (session_id INTEGER PRIMARY KEY, text TEXT NOT NULL);
                CREATE TABLE search_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_through INTEGER NOT NULL);
                INSERT INTO search_state (id, indexed_through) VALUES (1, 0);
                """)
        }
        try migrator.migrate(pool)
    }

    /// Every event with an id up to this is in the index.
    public func indexedThrough() throws -> Int64 {
        try pool.read { db in try Self.indexedThrough(db) }
    }

    static func indexedThrough(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT indexed_through FROM search_state WHERE id = 1") ?? 0
    }

    /// A session header's text from a `sessions s` row and its organization's name now (main database).
    static let headerText = """
        s.subject || ' ' || s.customer_name || ' ' || s.customer_email || ' ' ||
        COALESCE((SELECT name FROM organizations o WHERE o.id = s.organization_id), s.organization_id)
        """

    /// The document text of an event row `e` (main database), NULL for events that are not searchable.
    static let eventDocumentText = """
        CASE WHEN e.seq > \(maxSeq) THEN NULL
             WHEN e.kind = 'converted' AND e.ticket_number IS NOT NULL THEN 'ticket ' || e.ticket_number || COALESCE(' ' || e.text, '')
             WHEN e.kind = 'converted' THEN e.text
             WHEN e.kind IN ('message', 'requested') THEN e.text ELSE NULL END
        """

    /// Indexes up to `limit` committed events after `indexed_through`, read from `main`, in one transaction of
    /// the index file. Returns how many events it went past (0: caught up).
    func catchUp(from main: DatabasePool, limit: Int) throws -> Int {
        let from = try indexedThrough()
        let (documents, headers, through) = try main.read { db -> ([(Int64, String)], [(Int64, String)], Int64?) in
            var documents: [(Int64, String)] = []
            var firsts: [Int64] = []
            var through: Int64?
            let rows = try Row.fetchCursor(db, sql: """
                SELECT e.id, e.session_id, e.seq, \(Self.eventDocumentText) AS doc FROM events e
                WHERE e.id > ? ORDER BY e.id LIMIT ?
                """, arguments: [from, max(1, limit)])
            while let row = try rows.next() {
                through = row[0]
                let session: Int64 = row[1], seq: Int64 = row[2]
                if let text: String = row["doc"] { documents.append((session << 20 | seq, text)) }
                if seq == 1 { firsts.append(session) }
            }
            var headers: [(Int64, String)] = []
            for session in firsts {
                if let text = try String.fetchOne(db, sql: "SELECT \(Self.headerText) FROM sessions s WHERE s.id = ?",
                                                  arguments: [session]) {
                    headers.append((session, text))
                }
            }
            return (documents, headers, through)
        }
        guard let through else { return 0 }
        // Inserted in rowid order: FTS5 flushes its pending terms to a new segment whenever a rowid is lower than
        // the previous one, and events of concurrent chats arrive interleaved (rowids jump between sessions). At
        // 8,000 msgs/s over 300 chats this (with larger chunks) cut the indexer thread's CPU by 63%.
        var inserts = documents
        try pool.write { db in
            for (session, text) in headers {
                try Self.removeHeader(db, session)
                try db.execute(sql: "INSERT INTO search_headers (session_id, text) VALUES (?, ?)", arguments: [session, text])
                inserts.append((session << 20, text))
            }
            inserts.sort { $0.0 < $1.0 }
            let insert = try db.cachedStatement(sql: "INSERT INTO search_text (rowid, text) VALUES (?, ?)")
            for (rowid, text) in inserts { try insert.execute(arguments: [rowid, text]) }
            try db.execute(sql: "UPDATE search_state SET indexed_through = ? WHERE id = 1", arguments: [through])
        }
        return Int(through - from)
    }

    /// Removes the documents of events (`rowid`, exact text) and, for `headersOf`, the sessions' headers.
    func remove(documents: [(Int64, String)], headersOf sessions: [Int64]) throws {
        guard !documents.isEmpty || !sessions.isEmpty else { return }
        try pool.write { db in
            let delete = try db.cachedStatement(sql: "INSERT INTO search_text (search_text, rowid, text) VALUES ('delete', ?, ?)")
            for (rowid, text) in documents { try delete.execute(arguments: [rowid, text]) }
            for session in sessions { try Self.removeHeader(db, session) }
        }
    }

    /// Replaces a session's header document (after erasure changed the row), if it had one.
    func replaceHeader(_ session: Int64, text: String) throws {
        try pool.write { db in
            guard try Self.removeHeader(db, session) else { return }
            try db.execute(sql: "INSERT INTO search_headers (session_id, text) VALUES (?, ?)", arguments: [session, text])
            try db.execute(sql: "INSERT INTO search_text (rowid, text) VALUES (?, ?)", arguments: [session << 20, text])
        }
    }

    @discardableResult
    static func removeHeader(_ db: Database, _ session: Int64) throws -> Bool {
        guard let old = try String.fetchOne(db, sql: "SELECT text FROM search_headers WHERE session_id = ?",
                                            arguments: [session]) else { return false }
        try db.execute(sql: "INSERT INTO search_text (search_text, rowid, text) VALUES ('delete', ?, ?)",
                       arguments: [session << 20, old])
        try db.execute(sql: "DELETE FROM search_headers WHERE session_id = ?", arguments: [session])
        return true
    }

    /// FTS5's own consistency check; nil when sound.
    func integrityProblem() -> String? {
        do {
            try pool.write { db in try db.execute(sql: "INSERT INTO search_text (search_text, rank) VALUES ('integrity-check', 0)") }
            return nil
        } catch {
            return "search index: \(error)"
        }
    }
}

extension ChatStore {
    /// The search documents of events already in the index file (`rowid`, exact text), read from this database.
    func searchDocuments(_ db: Database, sessionID: Int64, onlyEventIDs: [Int64]? = nil, through: Int64) throws -> [(Int64, String)] {
        var sql = """
            SELECT (e.session_id << 20) | e.seq, \(SearchIndex.eventDocumentText) AS doc FROM events e
            WHERE e.session_id = ? AND e.id <= ?
            """
        if let ids = onlyEventIDs {
            sql += " AND e.id IN (\(ids.isEmpty ? "NULL" : ids.map(String.init).joined(separator: ",")))"
        }
        return try Row.fetchAll(db, sql: sql, arguments: [sessionID, through]).compactMap { row in
            (row["doc"] as String?).map { (row[0] as Int64, $0) }
        }
    }

    /// Indexes every committed event not in the search index yet (start-up, tests, admin tools); the server's
    /// `SearchIndexer` does the same continuously. Blocking; any thread but the lws service thread.
    @discardableResult
    public func indexSearch(chunk: Int = SearchIndex.defaultChunk) throws -> Int {
        var total = 0
        while true {
            let done = try search.catchUp(from: dbPool, limit: chunk)
            total += done
            if done == 0 { return total }
        }
    }
}
