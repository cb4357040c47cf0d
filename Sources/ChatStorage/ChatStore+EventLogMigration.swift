import GRDB

// # Schema, v9-event-log (issue 10: bytes written per message)
//
// `session_events` kept each session's events together (key `(session_id, seq)`), so every message dirtied its
// own session's leaf page, and SQLite's write-ahead log writes whole pages: ~4 KB per ~300-byte message in the WAL
// and again at checkpoint, however many messages a commit carried. Now:
//
// - `events`: the events in commit order, keyed by an integer id (the rowid) that only grows. A commit appends to
//   the last leaf or two, whatever sessions its messages belong to, so its pages are shared by the whole batch.
// - `event_index`: `(session_id, seq) → event id`, written lazily, many events at a time (`ChatStore.indexTail`):
//   every event with `id <= event_index_state.indexed_through` has its entry, none after it. Entries of one flush
//   are sorted by session, so a flush touches each active session's index leaf once for all of its new events.
// - `event_index_state.indexed_through`: that boundary. Events after it (the tail, at most about
//   `ChatStore.eventIndexBatch` rows plus one batch) are read by a range scan of `events` from the boundary.
// - `sessions.last_seq` and `sessions.message_count` now count indexed events only; readers add the tail's
//   (`EventReads`). The flush moves them forward in the same transaction as the index entries it writes.
// - `session_agents` replaces `session_events_by_agent` for "was this agent ever on this chat".
//
// Existing events are copied in session order and indexed; `session_events` is dropped.
extension ChatStore {
    static func registerEventLogMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-event-log") { db in
            try db.execute(sql: """
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    session_id INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    at REAL NOT NULL,
                    kind TEXT NOT NULL,
                    author_role TEXT NOT NULL,
                    author_id TEXT NOT NULL,
                    author_name TEXT NOT NULL,
                    text TEXT,
                    client_msg_id TEXT,
                    agent_id INTEGER,
                    agent_name TEXT,
                    reason TEXT,
                    ticket_number INTEGER,
                    proposal TEXT
                );
                CREATE TABLE event_index (
                    session_id INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    event_id INTEGER NOT NULL,
                    PRIMARY KEY (session_id, seq)
                ) WITHOUT ROWID;
                CREATE TABLE event_index_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    indexed_through INTEGER NOT NULL
                );

                INSERT INTO events (session_id, seq, at, kind, author_role, author_id, author_name, text, client_msg_id,
                                    agent_id, agent_name, reason, ticket_number, proposal)
                    SELECT session_id, seq, at, kind, author_role, author_id, author_name, text, client_msg_id,
                           agent_id, agent_name, reason, ticket_number, proposal
                    FROM session_events ORDER BY session_id, seq;
                INSERT INTO event_index (session_id, seq, event_id) SELECT session_id, seq, id FROM events;
                INSERT INTO event_index_state (id, indexed_through) SELECT 1, COALESCE(MAX(id), 0) FROM events;
                DROP TABLE session_events;
                """)
        }
    }
}
