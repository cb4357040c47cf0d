import ChatCore
import Foundation
import GRDB

/// A row of `ticket_history`. Plain value; used inside database accesses only.
struct TicketHistoryRow: FetchableRecord, TableRecord {
    static let databaseTableName = "ticket_history"

    enum Columns: String, ColumnExpression {
        case ticketNumber = "ticket_number"
        case seq
        case at
        case actorRole = "actor_role"
        case actorID = "actor_id"
        case actorName = "actor_name"
        case kind
        case fromStatus = "from_status"
        case toStatus = "to_status"
        case text
    }

    var entry: TicketHistoryEntry

    init(row: Row) throws {
        let kindValue: String = row[Columns.kind]
        guard let kind = TicketHistoryKind(rawValue: kindValue) else {
            throw StorageError.corruptRow("unknown ticket history kind \"\(kindValue)\"")
        }
        let roleValue: String = row[Columns.actorRole]
        guard let role = Participant.Role(rawValue: roleValue) else {
            throw StorageError.corruptRow("unknown actor role \"\(roleValue)\"")
        }
        func status(_ column: Columns) throws -> TicketStatus? {
            guard let value = row[column] as String? else { return nil }
            guard let status = TicketStatus(rawValue: value) else {
                throw StorageError.corruptRow("unknown ticket status \"\(value)\"")
            }
            return status
        }
        entry = TicketHistoryEntry(
            ticketNumber: row[Columns.ticketNumber], seq: row[Columns.seq],
            at: Date(timeIntervalSince1970: row[Columns.at]),
            actor: Participant(role: role, id: row[Columns.actorID], name: row[Columns.actorName]),
            kind: kind, fromStatus: try status(.fromStatus), toStatus: try status(.toStatus), text: row[Columns.text])
    }

    static let insertSQL = """
        INSERT INTO ticket_history (ticket_number, seq, at, actor_role, actor_id, actor_name, kind, from_status,
                                    to_status, text)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func insertArguments(_ entry: TicketHistoryEntry) -> StatementArguments {
        [entry.ticketNumber, entry.seq, entry.at.timeIntervalSince1970, entry.actor.role.rawValue, entry.actor.id,
         entry.actor.name, entry.kind.rawValue, entry.fromStatus?.rawValue, entry.toStatus?.rawValue, entry.text]
    }
}
