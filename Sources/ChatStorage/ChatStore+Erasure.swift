import ChatCore
import Foundation
import GRDB

/// What an erasure changed. Plain value.
public struct ErasureReport: Sendable, Equatable {
    public var sessions: Int
    public var events: Int
    public var tickets: Int
    public var ticketEntries: Int
}

/// Everything held about one contact. Plain value.
public struct ContactExport: Sendable {
    public var sessions: [(session: ChatSessionRecord, events: [SessionEvent], rating: ChatRating?)]
    public var tickets: [(ticket: Ticket, history: [TicketHistoryEntry])]
}

extension ChatStore {
    public static let erasedText = "[erased]"

    /// Erases a person's personal data and keeps the rest of each conversation readable: the text and name of
    /// every event they wrote, their name, email and subjects on their chats and tickets, their ticket
    /// descriptions and history entries, and rating comments become "[erased]"; their search documents are
    /// removed (an erased chat is found by nothing they wrote); they no longer count as an authorized contact.
    /// What agents wrote stays. Refused (`open_chat`) while the person has a chat open: the server holds it in
    /// memory and would write their name again; close it first. One transaction. Blocking; the admin CLI runs
    /// it (safe while the server runs).
    public func eraseContact(organizationID: OrganizationID, contactID: ContactID) throws -> ErasureReport {
        let erased = Self.erasedText
        var theirFiles: Set<String> = []
        let searchThrough = try search.indexedThrough()
        var sessionIDs: [Int64] = []
        let report = try dbPool.write { db -> ErasureReport in
            if let open = try Int64.fetchOne(db, sql: """
                SELECT id FROM sessions WHERE organization_id = ? AND contact_id = ? AND state != 'closed' LIMIT 1
                """, arguments: [organizationID, contactID]) {
                throw StorageError(code: "open_chat", message: "Chat \(open) of this contact is still open; close it first.")
            }
            sessionIDs = try Int64.fetchAll(db, sql: "SELECT id FROM sessions WHERE organization_id = ? AND contact_id = ?",
                                            arguments: [organizationID, contactID])
            var events = 0
            for id in sessionIDs {
                let theirs = try Int64.fetchAll(db, sql: """
                    SELECT id FROM events WHERE session_id = ? AND author_role = 'customer' AND author_id = ?
                    """, arguments: [id, contactID])
                // Their words leave the index file before they leave the rows (exact texts are needed).
                try search.remove(documents: try searchDocuments(db, sessionID: id, onlyEventIDs: theirs, through: searchThrough),
                                  headersOf: [])
                if !theirs.isEmpty {
                    let ids = theirs.map(String.init).joined(separator: ",")
                    try db.execute(sql: """
                        UPDATE events SET text = CASE WHEN text IS NULL THEN NULL ELSE ? END, author_name = ?
                        WHERE id IN (\(ids))
                        """, arguments: [erased, erased])
                    // Files they attached go with their words (v17-attachments): the rows now, the files once no
                    // other chat uses them (after the commit, below).
                    theirFiles.formUnion(try String.fetchAll(db, sql: """
                        SELECT a.sha256 FROM attachments a JOIN events e ON e.session_id = a.session_id AND e.seq = a.seq
                        WHERE e.id IN (\(ids))
                        """))
                    try db.execute(sql: """
                        DELETE FROM attachments WHERE session_id = ? AND seq IN (SELECT seq FROM events WHERE id IN (\(ids)))
                        """, arguments: [id])
                    try db.execute(sql: "UPDATE events SET attachment = NULL WHERE id IN (\(ids)) AND attachment IS NOT NULL")
                }
                events += theirs.count
                try db.execute(sql: """
                    UPDATE sessions SET customer_name = ?1, customer_email = ?1, subject = ?1,
                                        csat_comment = CASE WHEN csat_comment IS NULL THEN NULL ELSE ?1 END
                    WHERE id = ?2
                    """, arguments: [erased, id])
            }
            let ticketNumbers = try Int64.fetchAll(db, sql: "SELECT number FROM tickets WHERE organization_id = ? AND contact_id = ?",
                                                   arguments: [organizationID, contactID])
            for number in ticketNumbers {
                try db.execute(sql: """
                    UPDATE tickets SET customer_name = ?1, customer_email = ?1, subject = ?1, description = ?1 WHERE number = ?2
                    """, arguments: [erased, number])
            }
            try db.execute(sql: """
                UPDATE ticket_history SET text = CASE WHEN text IS NULL THEN NULL ELSE ?1 END, actor_name = ?1
                WHERE actor_role = 'customer' AND actor_id = ?2
                  AND ticket_number IN (SELECT number FROM tickets WHERE organization_id = ?3)
                """, arguments: [erased, contactID, organizationID])
            let entries = db.changesCount
            try db.execute(sql: "DELETE FROM organization_contacts WHERE organization_id = ? AND contact_id = ?",
                           arguments: [organizationID, contactID])
            return ErasureReport(sessions: sessionIDs.count, events: events, tickets: ticketNumbers.count,
                                 ticketEntries: entries)
        }
        // Headers (name, email, subject) indexed before are replaced by the erased ones.
        for id in sessionIDs {
            if let text = try dbPool.read({ db in
                try String.fetchOne(db, sql: "SELECT \(SearchIndex.headerText) FROM sessions s WHERE s.id = ?", arguments: [id])
            }) {
                try search.replaceHeader(id, text: text)
            }
        }
        attachmentFiles.remove(try theirFiles.filter { try attachmentUses(sha256: $0) == 0 })
        return report
    }

    /// Everything held about a person (a data-subject access request): their chats with every event a customer
    /// may receive and their rating, and their tickets with history. Blocking; admin CLI.
    public func exportContact(organizationID: OrganizationID, contactID: ContactID) throws -> ContactExport {
        let ids = try dbPool.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM sessions WHERE organization_id = ? AND contact_id = ? ORDER BY id",
                               arguments: [organizationID, contactID])
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
