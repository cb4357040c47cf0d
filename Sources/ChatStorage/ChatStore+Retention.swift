import ChatCore
import Foundation
import GRDB

extension ChatStore {
    /// Deletes up to `limit` chats that closed before `cutoff`, with everything that belongs to them: their
    /// events (log rows and index entries), search documents, session agents, read markers, service orders and the
    /// session rows (ratings live on them). Returns how many chats went. A chat with events not
    /// yet indexed waits for the next run (it closed seconds ago, not days). Tickets made from a chat stay (they
    /// have their own retention) and keep its number.
    ///
    /// Attachment files (`attachmentFiles`) that no remaining chat uses are deleted once the transaction has
    /// committed; a file another chat attached too stays.
    ///
    /// Blocking; call it from a worker thread in small batches (each is one short write transaction beside the
    /// group-commit writer's).
    public func deleteClosedChats(closedBefore cutoff: Date, limit: Int) throws -> Int {
        // First the chats and their search documents (exact texts, read here), out of the index file; then the
        // rows. A crash between the two leaves rows without documents, which the next sweep deletes.
        let searchThrough = try search.indexedThrough()
        let (ids, documents) = try dbPool.read { db -> ([Int64], [(Int64, String)]) in
            let through = try EventReads.indexedThrough(db)
            let ids = try Int64.fetchAll(db, sql: """
                SELECT s.id FROM sessions s
                WHERE s.state = 'closed' AND s.closed_at < ?
                  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id > ? AND e.session_id = s.id)
                LIMIT ?
                """, arguments: [cutoff.timeIntervalSince1970, through, max(1, limit)])
            return (ids, try ids.flatMap { try searchDocuments(db, sessionID: $0, through: searchThrough) })
        }
        try search.remove(documents: documents, headersOf: ids)
        let unusedFiles = try dbPool.write { db -> [String] in
            var hashes: Set<String> = []
            for id in ids {
                hashes.formUnion(try String.fetchAll(db, sql: "SELECT sha256 FROM attachments WHERE session_id = ?",
                                                     arguments: [id]))
                try Self.deleteSession(db, id)
            }
            return try hashes.filter { hash in
                try Int.fetchOne(db, sql: "SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1", arguments: [hash]) == nil
            }
        }
        // After the commit: a file is deleted only once no remaining chat's row names it.
        attachmentFiles.remove(unusedFiles)
        return ids.count
    }

    static func deleteSession(_ db: Database, _ id: Int64) throws {
        // One statement each: GRDB binds a multi-statement string's arguments statement by statement.
        for sql in ["DELETE FROM events WHERE id IN (SELECT event_id FROM event_index WHERE session_id = ?)",
                    "DELETE FROM event_index WHERE session_id = ?", "DELETE FROM session_agents WHERE session_id = ?",
                    "DELETE FROM read_markers WHERE session_id = ?", "DELETE FROM service_orders WHERE session_id = ?",
                    "DELETE FROM attachments WHERE session_id = ?",
                    "DELETE FROM sessions WHERE id = ?"] {
            try db.execute(sql: sql, arguments: [id])
        }
    }

    /// Deletes up to `limit` closed tickets whose last change (history entry) is before `cutoff`, with their
    /// history and on-call alerts. One transaction; returns how many went. Blocking; worker threads.
    public func deleteClosedTickets(lastChangedBefore cutoff: Date, limit: Int) throws -> Int {
        try dbPool.write { db in
            let numbers = try Int64.fetchAll(db, sql: """
                SELECT t.number FROM tickets t
                WHERE t.status = 'closed'
                  AND COALESCE((SELECT MAX(h.at) FROM ticket_history h WHERE h.ticket_number = t.number), t.created_at) < ?
                LIMIT ?
                """, arguments: [cutoff.timeIntervalSince1970, max(1, limit)])
            for number in numbers {
                for sql in ["DELETE FROM ticket_history WHERE ticket_number = ?",
                            "DELETE FROM oncall_outbox WHERE ticket_number = ?", "DELETE FROM tickets WHERE number = ?"] {
                    try db.execute(sql: sql, arguments: [number])
                }
            }
            return numbers.count
        }
    }
}
