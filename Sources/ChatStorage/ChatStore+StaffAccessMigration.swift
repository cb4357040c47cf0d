import GRDB

// # Schema, v6-staff-access (issue 9: disabling staff and revoking their sessions from the admin CLI)
//
// - `staff.disabled_at`: when the account was disabled (`chatd admin disable-staff`); NULL while it may log in.
// - `staff_revocations`: one row per revocation (disable or revoke-sessions), in `seq` order. The running server
//   (another process) polls it for rows after the last seq it saw and closes that staff member's WebSockets.
//   Old rows are harmless; `ChatStore.pruneStaffRevocations` keeps the table small.
extension ChatStore {
    static func registerStaffAccessMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-staff-access") { db in
            try db.execute(sql: """
                ALTER TABLE staff ADD COLUMN disabled_at REAL;
                CREATE TABLE staff_revocations (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    staff_id INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    at REAL NOT NULL
                );
                """)
        }
    }
}
