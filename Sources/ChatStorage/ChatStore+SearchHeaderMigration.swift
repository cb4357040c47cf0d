import GRDB

// # Schema, v13-search-header (issue 13: retention and erasure)
//
// `sessions.search_header`: the exact text a session's header document (rowid `id << 20`) was indexed with. The
// search index is contentless: removing a document needs the very text it was made of, and the organization's
// name can change after indexing. Written by the index flush with the document; backfilled here for sessions
// already indexed (with today's organization names: a header indexed under an older name keeps a few stale
// tokens once deleted, which can only make a search find a session id that no longer exists, and the search
// joins every hit with `sessions`).
extension ChatStore {
    static func registerSearchHeaderMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v13-search-header") { db in
            try db.execute(sql: """
                ALTER TABLE sessions ADD COLUMN search_header TEXT;
                UPDATE sessions AS s SET search_header = \(SearchDocuments.headerText)
                    WHERE EXISTS (SELECT 1 FROM event_index i WHERE i.session_id = s.id AND i.seq = 1);
                """)
        }
    }
}
