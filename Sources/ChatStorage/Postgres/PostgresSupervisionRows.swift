import ChatCore
import Foundation

/// SQL text with numbered parameters (`$1`, `$2` ...) built clause by clause. Plain value; one thread.
struct PGStatement {
    var parameters: [PGValue?] = []

    /// Appends `value` as the next parameter and returns its placeholder.
    mutating func bind(_ value: PGValue?) -> String {
        parameters.append(value)
        return "$\(parameters.count)"
    }
}

/// Reading the rows of the supervision tables (and listing entries of `sessions`) out of a `PGResult`. Used inside
/// one `pool.with` call, on its thread.
enum PGSupervisionRows {
    static func required<T>(_ value: T?, _ what: String) throws -> T {
        guard let value else { throw StorageError.corruptRow("missing \(what)") }
        return value
    }

    /// The columns `summary(_:_:)` reads from a `sessions` row `alias`: `PGRows.sessionColumns`, then `message_count`.
    static func summaryColumns(_ alias: String) -> String {
        PGRows.sessionColumns.split(separator: ",").map { alias + "." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ") + ", \(alias).message_count"
    }

    /// A listing entry from `summaryColumns` (the session, its kept `last_seq` and `message_count`).
    static func summary(_ rows: PGResult, _ i: Int) throws -> TranscriptSummary {
        TranscriptSummary(record: try PGRows.session(rows, i), lastSeq: rows.int(i, PGRows.sessionLastSeqColumn) ?? 0,
                          messageCount: Int(rows.int(i, PGRows.sessionLastSeqColumn + 1) ?? 0))
    }

    /// A `tickets` row (selected as `*`).
    static func ticket(_ rows: PGResult, _ i: Int) throws -> Ticket {
        let statusValue = try required(rows.string(i, "status"), "tickets.status")
        guard let status = TicketStatus(rawValue: statusValue) else {
            throw StorageError.corruptRow("unknown ticket status \"\(statusValue)\"")
        }
        let categoryValue = try required(rows.string(i, "category"), "tickets.category")
        guard let category = TicketCategory(rawValue: categoryValue) else {
            throw StorageError.corruptRow("unknown ticket category \"\(categoryValue)\"")
        }
        let organizationID = try required(rows.string(i, "organization_id"), "tickets.organization_id")
        var ticket = Ticket(
            number: try required(rows.int(i, "number"), "tickets.number"),
            organizationID: organizationID,
            customer: CustomerIdentity(organizationID: organizationID, contactID: rows.string(i, "contact_id") ?? "",
                                       name: rows.string(i, "customer_name") ?? "",
                                       email: rows.string(i, "customer_email") ?? ""),
            subject: rows.string(i, "subject") ?? "",
            productID: rows.string(i, "product_id") ?? "",
            category: category,
            severity: Int(rows.int(i, "severity") ?? 0),
            urgent: rows.bool(i, "urgent") ?? false,
            status: status,
            sessionID: rows.int(i, "session_id"),
            convertedBy: rows.int(i, "converted_by_id").map { StaffRef(id: $0, name: rows.string(i, "converted_by_name") ?? "") },
            createdAt: try required(rows.date(i, "created_at"), "tickets.created_at"),
            firstResponseDue: try required(rows.date(i, "first_response_due"), "tickets.first_response_due"),
            firstRespondedAt: rows.date(i, "first_responded_at"),
            description: rows.string(i, "description") ?? "")
        ticket.assignee = rows.int(i, "assignee_id").map { StaffRef(id: $0, name: rows.string(i, "assignee_name") ?? "") }
        return ticket
    }

    /// A `ticket_history` row (selected as `*`).
    static func historyEntry(_ rows: PGResult, _ i: Int) throws -> TicketHistoryEntry {
        let kindValue = try required(rows.string(i, "kind"), "ticket_history.kind")
        guard let kind = TicketHistoryKind(rawValue: kindValue) else {
            throw StorageError.corruptRow("unknown ticket history kind \"\(kindValue)\"")
        }
        let roleValue = try required(rows.string(i, "actor_role"), "ticket_history.actor_role")
        guard let role = Participant.Role(rawValue: roleValue) else {
            throw StorageError.corruptRow("unknown actor role \"\(roleValue)\"")
        }
        func status(_ column: String) throws -> TicketStatus? {
            guard let value = rows.string(i, column) else { return nil }
            guard let status = TicketStatus(rawValue: value) else {
                throw StorageError.corruptRow("unknown ticket status \"\(value)\"")
            }
            return status
        }
        return TicketHistoryEntry(
            ticketNumber: try required(rows.int(i, "ticket_number"), "ticket_history.ticket_number"),
            seq: try required(rows.int(i, "seq"), "ticket_history.seq"),
            at: try required(rows.date(i, "at"), "ticket_history.at"),
            actor: Participant(role: role, id: rows.string(i, "actor_id") ?? "", name: rows.string(i, "actor_name") ?? ""),
            kind: kind, fromStatus: try status("from_status"), toStatus: try status("to_status"),
            text: rows.string(i, "text"))
    }

    /// Every row of `rows`, read by `read`.
    static func all<T>(_ rows: PGResult, _ read: (PGResult, Int) throws -> T) throws -> [T] {
        try (0..<rows.count).map { try read(rows, $0) }
    }
}
