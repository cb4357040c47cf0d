import GRDB

// # Schema, v3-chat-policy (issue 3: the quick-question budget and professional services in chats)
//
// - `sessions.budget_limit`, `budget_used`, `budget_running_since`, `budget_stage`: the chat's quick-question time
//   (limit and time used in seconds; running since, when an agent is assigned; stage as QuickQuestionBudget.Stage).
// - `sessions.pending_proposal`: a professional-services proposal waiting for the customer (JSON), or NULL.
// - `sessions.ticket_number`: the ticket the chat was converted to.
// - `session_events.ticket_number`, `session_events.proposal` (JSON): facts of `converted` and `services_*` events.
extension ChatStore {
    static func registerChatPolicyMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-chat-policy") { db in
            try db.execute(sql: """
                ALTER TABLE sessions ADD COLUMN budget_limit REAL NOT NULL DEFAULT 900;
                ALTER TABLE sessions ADD COLUMN budget_used REAL NOT NULL DEFAULT 0;
                ALTER TABLE sessions ADD COLUMN budget_running_since REAL;
                ALTER TABLE sessions ADD COLUMN budget_stage TEXT NOT NULL DEFAULT 'not_started';
                ALTER TABLE sessions ADD COLUMN pending_proposal TEXT;
                ALTER TABLE sessions ADD COLUMN ticket_number INTEGER;
                ALTER TABLE session_events ADD COLUMN ticket_number INTEGER;
                ALTER TABLE session_events ADD COLUMN proposal TEXT;
                """)
        }
    }
}
