import GRDB

// # Schema, v4-ledgers (issue 8: idempotency that survives restarts, state that survives restarts)
//
// - `session_events_by_author_client_id`: client message ids are unique per (session, author role, author id),
//   replacing the per-session index: an acknowledgement only ever confirms the sender's own message.
// - `sessions_by_request`: one chat per (organization, contact, request client id), forever: the ledger of
//   `request_chat` resends, closed chats included. Duplicates made before this migration keep their rows but
//   only the earliest keeps its request id.
// - `tickets.request_client_id` and `tickets_by_request`: one ticket per urgent after-hours request key.
// - `sessions.wait_offer`: the long-wait offer of a queued chat (`none`, `offered`, `declined`).
// - `staff_status`: each staff member's last availability (`available`, `away`, `offline`).
extension ChatStore {
    static func registerLedgerMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-ledgers") { db in
            try db.execute(sql: """
                DROP INDEX session_events_by_client_msg_id;
                CREATE UNIQUE INDEX session_events_by_author_client_id
                    ON session_events(session_id, author_role, author_id, client_msg_id) WHERE client_msg_id IS NOT NULL;

                UPDATE sessions SET request_client_id = NULL
                WHERE request_client_id IS NOT NULL AND id NOT IN (
                    SELECT MIN(id) FROM sessions WHERE request_client_id IS NOT NULL
                    GROUP BY organization_id, contact_id, request_client_id);
                CREATE UNIQUE INDEX sessions_by_request
                    ON sessions(organization_id, contact_id, request_client_id) WHERE request_client_id IS NOT NULL;

                ALTER TABLE tickets ADD COLUMN request_client_id TEXT;
                CREATE UNIQUE INDEX tickets_by_request
                    ON tickets(organization_id, contact_id, request_client_id) WHERE request_client_id IS NOT NULL;

                ALTER TABLE sessions ADD COLUMN wait_offer TEXT NOT NULL DEFAULT 'none';

                CREATE TABLE staff_status (
                    staff_id INTEGER NOT NULL PRIMARY KEY REFERENCES staff(id) ON DELETE CASCADE,
                    status TEXT NOT NULL,
                    changed_at REAL NOT NULL
                );
                """)
        }
    }
}
