import ChatCore
import Foundation

// A person's data on PostgreSQL (same rules as ChatStore+Erasure.swift).
//
// Threading: blocking, thread-safe (a pooled connection per call); the admin CLI runs these (safe while nodes run).
extension PostgresStore {
    /// Erases a person's personal data and keeps the rest of each conversation readable (see
    /// `ChatStore.eraseContact`): their events' text and name, their name, email and subjects on chats and
    /// tickets, ticket descriptions and history entries, rating comments become "[erased]"; the search documents
    /// of their events are deleted and the headers re-indexed (trigger) in the same transaction; files they
    /// attached go once no other chat uses them. Refused (`open_chat`) while they have a chat open. One transaction.
    public func eraseContact(organizationID: OrganizationID, contactID: ContactID) throws -> ErasureReport {
        let erased: PGValue = .text(ChatStore.erasedText)
        let (report, theirFiles) = try pool.with { connection in
            try connection.transaction { c -> (ErasureReport, Set<String>) in
                let sessions = try c.execute("""
                    SELECT id, state FROM sessions WHERE organization_id = $1 AND contact_id = $2 ORDER BY id FOR UPDATE
                    """, [.text(organizationID), .text(contactID)])
                if let open = (0..<sessions.count).first(where: { sessions.string($0, 1) != SessionState.closed.rawValue }) {
                    throw StorageError(code: "open_chat",
                                       message: "Chat \(sessions.int(open, 0) ?? 0) of this contact is still open; close it first.")
                }
                let ids = (0..<sessions.count).compactMap { sessions.int($0, 0) }
                var events = 0
                var files: Set<String> = []
                for id in ids {
                    let seqRows = try c.execute("""
                        UPDATE events SET text = CASE WHEN text IS NULL THEN NULL ELSE $1 END, author_name = $1
                        WHERE session_id = $2 AND author_role = 'customer' AND author_id = $3 RETURNING seq
                        """, [erased, .int(id), .text(contactID)])
                    let seqs = (0..<seqRows.count).compactMap { seqRows.int($0, 0) }
                    events += seqs.count
                    if !seqs.isEmpty {
                        let list: PGValue = .text("{" + seqs.map(String.init).joined(separator: ",") + "}")
                        try c.execute("DELETE FROM search_documents WHERE session_id = $1 AND seq = ANY($2::bigint[])",
                                      [.int(id), list])
                        let hashes = try c.execute("""
                            DELETE FROM attachments WHERE session_id = $1 AND seq = ANY($2::bigint[]) RETURNING sha256
                            """, [.int(id), list])
                        files.formUnion((0..<hashes.count).compactMap { hashes.string($0, 0) })
                        try c.execute("""
                            UPDATE events SET attachment = NULL
                            WHERE session_id = $1 AND seq = ANY($2::bigint[]) AND attachment IS NOT NULL
                            """, [.int(id), list])
                    }
                    try c.execute("""
                        UPDATE sessions SET customer_name = $1, customer_email = $1, subject = $1,
                                            csat_comment = CASE WHEN csat_comment IS NULL THEN NULL ELSE $1 END
                        WHERE id = $2
                        """, [erased, .int(id)])
                }
                let tickets = try c.execute("""
                    UPDATE tickets SET customer_name = $1, customer_email = $1, subject = $1, description = $1
                    WHERE organization_id = $2 AND contact_id = $3 RETURNING number
                    """, [erased, .text(organizationID), .text(contactID)])
                let entries = try c.execute("""
                    UPDATE ticket_history SET text = CASE WHEN text IS NULL THEN NULL ELSE $1 END, actor_name = $1
                    WHERE actor_role = 'customer' AND actor_id = $2
                      AND ticket_number IN (SELECT number FROM tickets WHERE organization_id = $3)
                    """, [erased, .text(contactID), .text(organizationID)]).affectedRows
                try c.execute("DELETE FROM organization_contacts WHERE organization_id = $1 AND contact_id = $2",
                              [.text(organizationID), .text(contactID)])
                return (ErasureReport(sessions: ids.count, events: events, tickets: tickets.count, ticketEntries: entries),
                        files)
            }
        }
        attachmentFiles.remove(try theirFiles.filter { try attachmentUses(sha256: $0) == 0 })
        return report
    }

    /// Everything held about a person: their chats with every event a customer may receive and their rating, and
    /// their tickets with history. Reads chats through the core reads (`session(id:)`, `events(sessionID:)`).
    public func exportContact(organizationID: OrganizationID, contactID: ContactID) throws -> ContactExport {
        let ids = try pool.with { connection in
            let rows = try connection.execute(
                "SELECT id FROM sessions WHERE organization_id = $1 AND contact_id = $2 ORDER BY id",
                [.text(organizationID), .text(contactID)])
            return (0..<rows.count).compactMap { rows.int($0, 0) }
        }
        var sessions: [(ChatSessionRecord, [SessionEvent], ChatRating?)] = []
        for id in ids {
            guard let record = try session(id: id) else { continue }
            let events = try self.events(sessionID: id).filter { $0.kind.audience == .everyone }
            sessions.append((record, events, try rating(sessionID: id)))
        }
        var tickets: [(Ticket, [TicketHistoryEntry])] = []
        var offset = 0
        while true {
            let page = try self.tickets(matching: TicketFilter(organizationID: organizationID, contactID: contactID,
                                                               limit: 500, offset: offset))
            for ticket in page { tickets.append((ticket, try ticketHistory(number: ticket.number))) }
            if page.count < 500 { break }
            offset += page.count
        }
        return ContactExport(sessions: sessions, tickets: tickets)
    }
}
