import GRDB

// # Schema, v11-satisfaction (issue 11: CSAT and analytics)
//
// - `sessions.csat_rating` (1-5), `csat_comment`, `csat_rated_at`: the customer's rating of a closed chat
//   (`ChatStore.rate`), with an index for the CSAT filter and figures.
// - `sessions.first_joined_at`, `first_agent_reply_at`: when an agent first joined, and first wrote a message.
//   Kept by the event index flush (`ChatStore.indexTail`) in the same statement as `last_seq`, so analytics read
//   wait and reply times from the session rows, never from the events. Backfilled here.
extension ChatStore {
    static func registerSatisfactionMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v11-satisfaction") { db in
            try db.execute(sql: """
                ALTER TABLE sessions ADD COLUMN csat_rating INTEGER;
                ALTER TABLE sessions ADD COLUMN csat_comment TEXT;
                ALTER TABLE sessions ADD COLUMN csat_rated_at REAL;
                ALTER TABLE sessions ADD COLUMN first_joined_at REAL;
                ALTER TABLE sessions ADD COLUMN first_agent_reply_at REAL;
                CREATE INDEX sessions_by_csat ON sessions(csat_rating, created_at) WHERE csat_rating IS NOT NULL;

                UPDATE sessions SET first_joined_at = t.joined, first_agent_reply_at = t.replied
                    FROM (SELECT session_id,
                                 MIN(at) FILTER (WHERE kind = 'joined') AS joined,
                                 MIN(at) FILTER (WHERE kind = 'message' AND author_role IN ('agent', 'supervisor'))
                                     AS replied
                          FROM events GROUP BY session_id) AS t
                    WHERE sessions.id = t.session_id;
                """)
        }
    }
}
