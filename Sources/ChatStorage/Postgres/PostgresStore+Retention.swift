import ChatCore
import Foundation

// Retention on PostgreSQL (same rules as ChatStore+Retention.swift). Each sweep is one transaction; the chats it
// takes are locked with `FOR UPDATE SKIP LOCKED`, so two nodes sweeping at once take different chats.
//
// Threading: blocking, thread-safe (a pooled connection per call); call it from a worker thread in small batches.
extension PostgresStore {
    /// Deletes up to `limit` chats that closed before `cutoff`, with their events, search documents, session
    /// agents, read markers, service orders, attachments (rows now, files once no remaining chat uses them) and
    /// session rows (ratings live on them). Tickets made from a chat stay. Returns how many chats went.
    public func deleteClosedChats(closedBefore cutoff: Date, limit: Int) throws -> Int {
        let (count, unusedFiles) = try pool.with { connection in
            try connection.transaction { c -> (Int, [String]) in
                let rows = try c.execute("""
                    SELECT id FROM sessions WHERE state = 'closed' AND closed_at < $1
                    ORDER BY closed_at LIMIT $2 FOR UPDATE SKIP LOCKED
                    """, [pg(cutoff), .int(Int64(max(1, limit)))])
                let ids = (0..<rows.count).compactMap { rows.int($0, 0) }
                guard !ids.isEmpty else { return (0, []) }
                let list: PGValue = .text("{" + ids.map(String.init).joined(separator: ",") + "}")
                let hashes = try c.execute("SELECT DISTINCT sha256 FROM attachments WHERE session_id = ANY($1::bigint[])",
                                           [list])
                for table in ["events", "search_documents", "session_agents", "read_markers", "service_orders",
                              "attachments"] {
                    try c.execute("DELETE FROM \(table) WHERE session_id = ANY($1::bigint[])", [list])
                }
                try c.execute("DELETE FROM sessions WHERE id = ANY($1::bigint[])", [list])
                let unused = try (0..<hashes.count).compactMap { hashes.string($0, 0) }.filter { hash in
                    try c.execute("SELECT 1 FROM attachments WHERE sha256 = $1 LIMIT 1", [.text(hash)]).count == 0
                }
                return (ids.count, unused)
            }
        }
        // After the commit: a file is deleted only once no remaining chat's row names it.
        attachmentFiles.remove(unusedFiles)
        return count
    }

    /// Deletes up to `limit` closed tickets whose last change (history entry) is before `cutoff`, with their
    /// history and on-call alerts. One transaction; returns how many went.
    public func deleteClosedTickets(lastChangedBefore cutoff: Date, limit: Int) throws -> Int {
        try pool.with { connection in
            try connection.transaction { c in
                let rows = try c.execute("""
                    SELECT t.number FROM tickets t
                    WHERE t.status = 'closed'
                      AND COALESCE((SELECT MAX(h.at) FROM ticket_history h WHERE h.ticket_number = t.number), t.created_at) < $1
                    LIMIT $2 FOR UPDATE SKIP LOCKED
                    """, [pg(cutoff), .int(Int64(max(1, limit)))])
                let numbers = (0..<rows.count).compactMap { rows.int($0, 0) }
                guard !numbers.isEmpty else { return 0 }
                let list: PGValue = .text("{" + numbers.map(String.init).joined(separator: ",") + "}")
                try c.execute("DELETE FROM ticket_history WHERE ticket_number = ANY($1::bigint[])", [list])
                try c.execute("DELETE FROM oncall_outbox WHERE ticket_number = ANY($1::bigint[])", [list])
                try c.execute("DELETE FROM tickets WHERE number = ANY($1::bigint[])", [list])
                return numbers.count
            }
        }
    }
}
