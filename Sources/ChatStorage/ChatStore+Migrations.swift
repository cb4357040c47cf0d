import GRDB

// # Schema
//
// Times are REAL seconds since 1970 (`Date.timeIntervalSince1970`), written by Swift, so that sub-second order is
// exact and comparisons are plain numeric comparisons. Enumerations are stored as their ChatCore raw values.
//
// - `organizations`: customers of the vendor (`id` from the host admin panel, `plan_id` names a plan tier).
// - `organization_contacts`: contacts that count against their organization's authorized-contact limit.
// - `staff`: agent and supervisor accounts; `username` is unique, compared case-insensitively.
// - `staff_tokens`: login tokens of staff, stored only as hashes; deleted with their account.
// - `sessions`: one row per chat session (everything but its events). `agent_*` is the current (or, once closed,
//   last) agent. Indexed for listing by organization, by creation time and by state (v7 adds the transcript
//   listing's indexes and the `last_seq`/`message_count` aggregates).
// - `session_events`: the numbered events of each session, `(session_id, seq)` unique and gap-free once committed.
//   `client_msg_id` is unique per session (idempotent resends). `agent_id` is set on joins and transfers and
//   indexed, to find every session an agent handled.
// - `read_markers`: how far each role has read each session.
//
// v2-tickets:
// - `organizations.region_id`: the support region (hours, holidays, SLA clock); NULL means the policy's default.
// - `tickets`: one row per ticket; `number` is AUTOINCREMENT so a number is never reused. The customer is copied
//   in (as on sessions). `severity` is not CHECKed: the levels are policy data, validated before writing.
//   `first_response_due` is indexed only while unanswered (the "overdue" query).
// - `ticket_history`: every change of a ticket, `(ticket_number, seq)` gap-free from 1, appended in the same
//   transaction as the change it records.
// - `service_orders`: professional services a customer accepted in a chat (rate copied in at acceptance).
//
// Migrations are append-only: never edit one that has shipped; add a new one. They are plain SQL and never use
// app types, so that they keep their meaning when the app's types change.

extension ChatStore {
    /// The database migrations, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1-core") { db in
            try db.execute(sql: """
                CREATE TABLE organizations (
                    id TEXT NOT NULL PRIMARY KEY,
                    name TEXT NOT NULL,
                    plan_id TEXT NOT NULL,
                    created_at REAL NOT NULL
                );

                CREATE TABLE organization_contacts (
                    organization_id TEXT NOT NULL,
                    contact_id TEXT NOT NULL,
                    registered_at REAL NOT NULL,
                    PRIMARY KEY (organization_id, contact_id)
                ) WITHOUT ROWID;

                CREATE TABLE staff (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
                    password_hash TEXT NOT NULL,
                    created_at REAL NOT NULL
                );

                CREATE TABLE staff_tokens (
                    token_hash TEXT NOT NULL PRIMARY KEY,
                    staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL
                );
                CREATE INDEX staff_tokens_by_staff ON staff_tokens(staff_id);

                CREATE TABLE sessions (
                    id INTEGER PRIMARY KEY,
                    organization_id TEXT NOT NULL,
                    contact_id TEXT NOT NULL,
                    customer_name TEXT NOT NULL,
                    customer_email TEXT NOT NULL,
                    product_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    state TEXT NOT NULL,
                    agent_id INTEGER,
                    agent_name TEXT,
                    created_at REAL NOT NULL,
                    queued_at REAL,
                    closed_at REAL,
                    request_client_id TEXT
                );
                CREATE INDEX sessions_by_organization ON sessions(organization_id, created_at);
                CREATE INDEX sessions_by_created_at ON sessions(created_at);
                CREATE INDEX sessions_by_state ON sessions(state);
                CREATE INDEX sessions_by_agent ON sessions(agent_id) WHERE agent_id IS NOT NULL;

                CREATE TABLE session_events (
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
                    PRIMARY KEY (session_id, seq)
                ) WITHOUT ROWID;
                CREATE UNIQUE INDEX session_events_by_client_msg_id
                    ON session_events(session_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
                CREATE INDEX session_events_by_agent
                    ON session_events(agent_id) WHERE agent_id IS NOT NULL;

                CREATE TABLE read_markers (
                    session_id INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (session_id, role)
                ) WITHOUT ROWID;
                """)
        }

        migrator.registerMigration("v2-tickets") { db in
            try db.execute(sql: """
                ALTER TABLE organizations ADD COLUMN region_id TEXT;

                CREATE TABLE tickets (
                    number INTEGER PRIMARY KEY AUTOINCREMENT,
                    organization_id TEXT NOT NULL,
                    contact_id TEXT NOT NULL,
                    customer_name TEXT NOT NULL,
                    customer_email TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    product_id TEXT NOT NULL,
                    category TEXT NOT NULL,
                    severity INTEGER NOT NULL,
                    urgent INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    session_id INTEGER,
                    converted_by_id INTEGER,
                    converted_by_name TEXT,
                    created_at REAL NOT NULL,
                    first_response_due REAL NOT NULL,
                    first_responded_at REAL,
                    description TEXT NOT NULL
                );
                CREATE INDEX tickets_by_organization ON tickets(organization_id, created_at);
                CREATE INDEX tickets_by_status ON tickets(status);
                CREATE INDEX tickets_by_first_response_due
                    ON tickets(first_response_due) WHERE first_responded_at IS NULL;
                CREATE INDEX tickets_by_session ON tickets(session_id) WHERE session_id IS NOT NULL;

                CREATE TABLE ticket_history (
                    ticket_number INTEGER NOT NULL REFERENCES tickets(number),
                    seq INTEGER NOT NULL,
                    at REAL NOT NULL,
                    actor_role TEXT NOT NULL,
                    actor_id TEXT NOT NULL,
                    actor_name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    from_status TEXT,
                    to_status TEXT,
                    text TEXT,
                    PRIMARY KEY (ticket_number, seq)
                ) WITHOUT ROWID;

                CREATE TABLE service_orders (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    session_id INTEGER NOT NULL,
                    organization_id TEXT NOT NULL,
                    contact_id TEXT NOT NULL,
                    description TEXT NOT NULL,
                    rate_id TEXT NOT NULL,
                    hourly_rate REAL NOT NULL,
                    currency TEXT NOT NULL,
                    estimate_hours REAL,
                    proposed_by INTEGER NOT NULL,
                    accepted_at REAL NOT NULL
                );
                CREATE INDEX service_orders_by_session ON service_orders(session_id);
                CREATE INDEX service_orders_by_organization ON service_orders(organization_id, accepted_at);
                """)
        }

        registerChatPolicyMigration(&migrator)
        registerLedgerMigration(&migrator)
        registerOnCallOutboxMigration(&migrator)
        registerStaffAccessMigration(&migrator)
        registerSessionAggregatesMigration(&migrator)
        registerLeanEventsMigration(&migrator)
        registerEventLogMigration(&migrator)
        registerSearchMigration(&migrator)
        registerSatisfactionMigration(&migrator)
        registerCannedRepliesMigration(&migrator)
        registerSearchHeaderMigration(&migrator)
        registerAuditMigration(&migrator)
        registerSearchFileMigration(&migrator)
        registerTicketWorkMigration(&migrator)
        registerAttachmentsMigration(&migrator)
        return migrator
    }
}
