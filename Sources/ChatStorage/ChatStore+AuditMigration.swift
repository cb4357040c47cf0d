import GRDB

// # Schema, v14-audit (issue 11: who read which transcript; written as v9-audit, renumbered after v9-event-log and
// v10-search when merged)
//
// - `audit_log`: one row per transcript read, listing, export or audit read by staff: who (staff id, and the name
//   and role they had then, copied in), what (`action`, `target`: a session id or a query, `detail`), when (`at`,
//   REAL seconds since 1970) and from which address. `id` is AUTOINCREMENT so an id is never reused, and it is the
//   keyset of the newest-first listing. Append-only: triggers refuse UPDATE and DELETE, also from the admin CLI.
// - Indexes for the Audit tab's filters, each newest first: by time, by staff member, by action.
//
// Kept in its own file and registered last; the migration name is stable once shipped (append-only).
extension ChatStore {
    static func registerAuditMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v14-audit") { db in
            try db.execute(sql: """
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    staff_id INTEGER NOT NULL,
                    staff_name TEXT NOT NULL,
                    staff_role TEXT NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT,
                    detail TEXT,
                    address TEXT NOT NULL
                );
                CREATE INDEX audit_log_by_at ON audit_log(at);
                CREATE INDEX audit_log_by_staff ON audit_log(staff_id, id);
                CREATE INDEX audit_log_by_action ON audit_log(action, id);
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                """)
        }
    }
}
