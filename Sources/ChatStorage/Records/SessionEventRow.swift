import ChatCore
import Foundation
import GRDB

/// A row of `events` (v9-event-log): one numbered event of a session.
struct SessionEventRow: FetchableRecord, TableRecord {
    static let databaseTableName = "events"

    enum Columns: String, ColumnExpression {
        case sessionID = "session_id"
        case seq
        case at
        case kind
        case authorRole = "author_role"
        case authorID = "author_id"
        case authorName = "author_name"
        case text
        case clientMessageID = "client_msg_id"
        case agentID = "agent_id"
        case agentName = "agent_name"
        case reason
        case ticketNumber = "ticket_number"
        case proposal
        case attachment
    }

    var event: SessionEvent

    init(row: Row) throws {
        let kindValue: String = row[Columns.kind]
        guard let kind = SessionEventKind(rawValue: kindValue) else {
            throw StorageError.corruptRow("unknown event kind \"\(kindValue)\"")
        }
        let roleValue: String = row[Columns.authorRole]
        guard let role = Participant.Role(rawValue: roleValue) else {
            throw StorageError.corruptRow("unknown author role \"\(roleValue)\"")
        }
        let agentID: StaffID? = row[Columns.agentID]
        event = SessionEvent(
            sessionID: row[Columns.sessionID],
            seq: row[Columns.seq],
            at: Date(timeIntervalSince1970: row[Columns.at]),
            kind: kind,
            author: Participant(role: role, id: row[Columns.authorID], name: row[Columns.authorName]),
            text: row[Columns.text],
            clientMessageID: row[Columns.clientMessageID],
            agent: agentID.map { StaffRef(id: $0, name: row[Columns.agentName] ?? "") },
            reason: row[Columns.reason],
            ticketNumber: row[Columns.ticketNumber],
            proposal: try ProposalJSON.decode(row[Columns.proposal]),
            attachment: try AttachmentJSON.decode(row[Columns.attachment]))
    }

    static let insertSQL = """
        INSERT INTO events (id, session_id, seq, at, kind, author_role, author_id, author_name, text,
                            client_msg_id, agent_id, agent_name, reason, ticket_number, proposal, attachment)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
}
