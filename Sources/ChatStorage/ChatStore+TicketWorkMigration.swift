import GRDB

// # Schema, v16-ticket-work (issue 12: working tickets in the console)
//
// - `tickets.assignee_id`, `tickets.assignee_name`: the staff member working on the ticket (NULL: nobody). The
//   name is copied in, as `converted_by_name` is, so a renamed or deleted account leaves the ticket readable.
// - `tickets_by_assignee`: the console's "assigned to" filter, newest first, only over assigned tickets.
// - Internal notes and assignment changes need no table: they are `ticket_history` entries of kind `note` and
//   `assigned` (its `kind` column has no CHECK), left out of what customers read.
//
// Kept in its own file and registered last (after v15-attachments once that lands); the migration name is stable
// once shipped (append-only).
extension ChatStore {
    static func registerTicketWorkMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v16-ticket-work") { db in
            try db.execute(sql: """
                ALTER TABLE tickets ADD COLUMN assignee_id INTEGER;
                ALTER TABLE tickets ADD COLUMN assignee_name TEXT;
                CREATE INDEX tickets_by_assignee ON tickets(assignee_id, created_at) WHERE assignee_id IS NOT NULL;
                """)
        }
    }
}
