import GRDB

// # Schema, v15-search-file (issues 10 and 11: search without stalling acknowledgements)
//
// The full-text index moves out of this database into `search.sqlite` next to it (`SearchIndex`): building it
// inside the group-commit writer's transactions held the write lock for tens to hundreds of milliseconds per few
// thousand messages. `search_text` (v10) is dropped here; the index file is rebuilt from `events` by the indexer
// (from event id 0 when the file is new). `sessions.search_header` (v13) is no longer written (the index file
// keeps header texts itself).
extension ChatStore {
    static func registerSearchFileMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v15-search-file") { db in
            try db.execute(sql: "DROP TABLE search_text")
        }
    }
}
