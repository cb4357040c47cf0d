import GRDB

// # Schema, v10-search (issue 11: find any conversation by what was said in it)
//
// `search_text`: an FTS5 index (`unicode61 remove_diacritics 2`: case and accents do not matter; prefix and phrase
// queries) over the text of every conversation, contentless (the text stays in `events` and `sessions` only).
// Its rowid names where a document came from: `session_id << 20 | seq` for an event (a message's or request's text, or
// "ticket N" for a conversion), and `session_id << 20` (seq 0) for the session's header (subject, customer name and email,
// organization name). So hits come out grouped by session, newest session first (`ORDER BY rowid DESC`), and a
// page after a cursor starts with a seek, whatever the page number.
//
// Superseded by v15-search-file: the index now lives in a file of its own (`SearchIndex`), and this table is
// dropped there. `SearchDocuments` below is what this migration needs to backfill, and nothing else uses it.
extension ChatStore {
    static func registerSearchMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10-search") { db in
            try db.execute(sql: """
                CREATE VIRTUAL TABLE search_text USING fts5(
                    text, content = '', tokenize = 'unicode61 remove_diacritics 2'
                )
                """)
            try SearchDocuments.index(db, eventsAfter: 0, through: Int64.max)
        }
    }
}

/// The documents of `search_text`: which events and session headers are searchable, and their text.
enum SearchDocuments {
    /// Seqs beyond this are not searchable (the rowid keeps 20 bits for the seq; chats are far shorter).
    static let maxSeq: Int64 = (1 << 20) - 1

    /// Indexes the events with `from < id <= through`, and the header of every session whose first event is
    /// among them.
    static func index(_ db: Database, eventsAfter from: Int64, through: Int64) throws {
        try db.execute(sql: """
            INSERT INTO search_text (rowid, text)
                SELECT (session_id << 20) | seq,
                       CASE WHEN kind = 'converted' AND ticket_number IS NOT NULL
                            THEN 'ticket ' || ticket_number || COALESCE(' ' || text, '') ELSE text END
                FROM events
                WHERE id > ?1 AND id <= ?2 AND seq <= \(maxSeq)
                  AND (kind IN ('message', 'requested') AND text IS NOT NULL OR kind = 'converted')
            """, arguments: [from, through])
        // Headers: the text is kept on the row (v13), so that the document can be removed exactly later.
        let hasHeaderColumn = try db.columns(in: "sessions").contains { $0.name == "search_header" }
        if hasHeaderColumn {
            try db.execute(sql: """
                UPDATE sessions AS s SET search_header = \(headerText)
                WHERE s.id IN (SELECT session_id FROM events WHERE id > ?1 AND id <= ?2 AND seq = 1)
                """, arguments: [from, through])
            try db.execute(sql: """
                INSERT INTO search_text (rowid, text)
                    SELECT s.id << 20, s.search_header FROM sessions s
                    WHERE s.id IN (SELECT session_id FROM events WHERE id > ?1 AND id <= ?2 AND seq = 1)
                """, arguments: [from, through])
        } else {
            try db.execute(sql: """
                INSERT INTO search_text (rowid, text)
                    SELECT s.id << 20, \(headerText)
                    FROM events e JOIN sessions s ON s.id = e.session_id
                    WHERE e.id > ?1 AND e.id <= ?2 AND e.seq = 1
                """, arguments: [from, through])
        }
    }

    /// A session header's text, from a `sessions s` row (and its organization's name now).
    static let headerText = """
        s.subject || ' ' || s.customer_name || ' ' || s.customer_email || ' ' ||
        COALESCE((SELECT name FROM organizations o WHERE o.id = s.organization_id), s.organization_id)
        """
}
