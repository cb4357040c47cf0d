import GRDB

// # Schema, v17-attachments (issue 12: files in chats)
//
// - `events.attachment`: the `attachment` event's file as JSON text (name, size, type, sha256, width, height);
//   NULL for every other kind. Rare and small, read whole with the event (like `proposal`).
// - `attachments`: one row per `attachment` event, `(session_id, seq)` the event's key and the download id, with
//   the content hash and what a download needs (name, type, size) so that serving one never parses an event.
//   Written in the same transaction as its event. Indexed by `sha256`: the file store is content-addressed and
//   shared, and retention deletes a file only once no row names its hash.
//
// Kept in its own file and registered last; the migration name is stable once shipped (append-only).
extension ChatStore {
    static func registerAttachmentsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v17-attachments") { db in
            try db.execute(sql: """
                ALTER TABLE events ADD COLUMN attachment TEXT;
                CREATE TABLE attachments (
                    session_id INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    name TEXT NOT NULL,
                    type TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    PRIMARY KEY (session_id, seq)
                ) WITHOUT ROWID;
                CREATE INDEX attachments_by_sha256 ON attachments(sha256);
                """)
        }
    }
}
