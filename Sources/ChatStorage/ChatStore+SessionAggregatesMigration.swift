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
// - `session_agents`: every (agent, session) pair of a chat the agent handled (named by a join or transfer event,
//   or on the session row), keyed newest first per agent with the session's `created_at` copied in, so that the
//   agent filter pages like the others instead of sorting all of an agent's chats. Written by the writer in the
//   same transaction (INSERT OR IGNORE, once per pair per transaction). Backfilled here.

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

                CREATE TABLE session_agents (
                    agent_id INTEGER NOT NULL,
                    created_at REAL NOT NULL,
                    session_id INTEGER NOT NULL,
                    PRIMARY KEY (agent_id, created_at, session_id)
                ) WITHOUT ROWID;
                INSERT OR IGNORE INTO session_agents (agent_id, created_at, session_id)
                    SELECT DISTINCT e.agent_id, s.created_at, s.id
                    FROM session_events e JOIN sessions s ON s.id = e.session_id
                    WHERE e.agent_id IS NOT NULL;
                INSERT OR IGNORE INTO session_agents (agent_id, created_at, session_id)
                    SELECT agent_id, created_at, id FROM sessions WHERE agent_id IS NOT NULL;
                """)
        }
    }
}
