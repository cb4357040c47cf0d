import GRDB

// v7-session-aggregates (issue 10: the transcript listing at 50,000 chats):
// - `sessions.last_seq`, `sessions.message_count`: the highest committed seq and the number of `message` events,
//   kept by the writer in the transaction that appends the events (`PreparedWrites.flushAggregates`), one UPDATE
//   per session per transaction. Backfilled here from `session_events`.
// - `sessions.outcome`: `open` (not closed), `closed` (closed in the chat) or `converted` (has a ticket), a
//   VIRTUAL generated column (nothing to write; computed from `state` and `ticket_number`). The engine sets a
//   ticket number only as it closes the chat, so the three are exactly `TranscriptOutcome`'s conditions.
// - Indexes that give each transcript filter its rows already newest first (`created_at DESC, id DESC`; `id` is
//   the rowid, the last key of every index), so no listing sorts the table and an offset skips index entries
//   without reading rows: `sessions_by_state_created` (replaces `sessions_by_state`), `sessions_by_contact`,
//   `sessions_by_outcome`. Organization and creation time already have theirs (v1).

extension ChatStore {
    static func registerSessionAggregatesMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7-session-aggregates") { db in
            try db.execute(sql: """
                ALTER TABLE sessions ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE sessions ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE sessions ADD COLUMN outcome TEXT GENERATED ALWAYS AS (
                    CASE WHEN state <> 'closed' THEN 'open' WHEN ticket_number IS NULL THEN 'closed' ELSE 'converted' END
                ) VIRTUAL;

                UPDATE sessions SET
                    last_seq = (SELECT COALESCE(MAX(seq), 0) FROM session_events e WHERE e.session_id = sessions.id),
                    message_count = (SELECT COUNT(*) FROM session_events e
                                     WHERE e.session_id = sessions.id AND e.kind = 'message');

                DROP INDEX sessions_by_state;
                CREATE INDEX sessions_by_state_created ON sessions(state, created_at);
                CREATE INDEX sessions_by_contact ON sessions(contact_id, created_at);
                CREATE INDEX sessions_by_outcome ON sessions(outcome, created_at);
                """)
        }
    }
}
