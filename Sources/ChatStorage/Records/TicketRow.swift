import ChatCore
import Foundation
import GRDB

/// A row of `tickets`. Plain value; used inside database accesses only.
struct TicketRow: FetchableRecord, TableRecord {
    static let databaseTableName = "tickets"

    enum Columns: String, ColumnExpression {
        case number
        case organizationID = "organization_id"
        case contactID = "contact_id"
        case customerName = "customer_name"
        case customerEmail = "customer_email"
        case subject
        case productID = "product_id"
        case category
        case severity
        case urgent
        case status
        case sessionID = "session_id"
        case convertedByID = "converted_by_id"
        case convertedByName = "converted_by_name"
        case createdAt = "created_at"
        case firstResponseDue = "first_response_due"
        case firstRespondedAt = "first_responded_at"
        case description
        case assigneeID = "assignee_id"
        case assigneeName = "assignee_name"
    }

    var ticket: Ticket

    init(row: Row) throws {
        let statusValue: String = row[Columns.status]
        guard let status = TicketStatus(rawValue: statusValue) else {
            throw StorageError.corruptRow("unknown ticket status \"\(statusValue)\"")
        }
        let categoryValue: String = row[Columns.category]
        guard let category = TicketCategory(rawValue: categoryValue) else {
            throw StorageError.corruptRow("unknown ticket category \"\(categoryValue)\"")
        }
        let organizationID: OrganizationID = row[Columns.organizationID]
        let convertedByID: StaffID? = row[Columns.convertedByID]
        let assigneeID: StaffID? = row[Columns.assigneeID]
        ticket = Ticket(
            number: row[Columns.number],
            organizationID: organizationID,
            customer: CustomerIdentity(organizationID: organizationID, contactID: row[Columns.contactID],
                                       name: row[Columns.customerName], email: row[Columns.customerEmail]),
            subject: row[Columns.subject],
            productID: row[Columns.productID],
            category: category,
            severity: row[Columns.severity],
            urgent: row[Columns.urgent],
            status: status,
            sessionID: row[Columns.sessionID],
            convertedBy: convertedByID.map { StaffRef(id: $0, name: row[Columns.convertedByName] ?? "") },
            createdAt: Date(timeIntervalSince1970: row[Columns.createdAt]),
            firstResponseDue: Date(timeIntervalSince1970: row[Columns.firstResponseDue]),
            firstRespondedAt: (row[Columns.firstRespondedAt] as Double?).map(Date.init(timeIntervalSince1970:)),
            description: row[Columns.description],
            assignee: assigneeID.map { StaffRef(id: $0, name: row[Columns.assigneeName] ?? "") })
    }

    /// The number is left to SQLite (AUTOINCREMENT: never reused, even after a rollback of the last one).
    static let insertSQL = """
        INSERT INTO tickets (organization_id, contact_id, customer_name, customer_email, subject, product_id,
                             category, severity, urgent, status, session_id, converted_by_id, converted_by_name,
                             created_at, first_response_due, first_responded_at, description)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func insertArguments(_ draft: TicketDraft) -> StatementArguments {
        [draft.organizationID, draft.customer.contactID, draft.customer.name, draft.customer.email, draft.subject,
         draft.productID, draft.category.rawValue, draft.severity, draft.urgent, draft.status.rawValue,
         draft.sessionID, draft.convertedBy?.id, draft.convertedBy?.name, draft.createdAt.timeIntervalSince1970,
         draft.firstResponseDue.timeIntervalSince1970, draft.firstRespondedAt?.timeIntervalSince1970,
         draft.description]
    }

    /// Only the columns that the workflow changes.
    static let updateSQL = "UPDATE tickets SET status = ?, severity = ?, first_responded_at = ? WHERE number = ?"

    static func updateArguments(_ ticket: Ticket) -> StatementArguments {
        [ticket.status.rawValue, ticket.severity, ticket.firstRespondedAt?.timeIntervalSince1970, ticket.number]
    }
}
