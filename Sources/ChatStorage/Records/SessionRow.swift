import ChatCore
import Foundation
import GRDB

/// A row of `sessions`: a chat session without its events.
struct SessionRow: FetchableRecord, TableRecord {
    static let databaseTableName = "sessions"

    enum Columns: String, ColumnExpression {
        case id
        case organizationID = "organization_id"
        case contactID = "contact_id"
        case customerName = "customer_name"
        case customerEmail = "customer_email"
        case productID = "product_id"
        case subject
        case state
        case agentID = "agent_id"
        case agentName = "agent_name"
        case createdAt = "created_at"
        case queuedAt = "queued_at"
        case closedAt = "closed_at"
        case requestClientID = "request_client_id"
        case budgetLimit = "budget_limit"
        case budgetUsed = "budget_used"
        case budgetRunningSince = "budget_running_since"
        case budgetStage = "budget_stage"
        case pendingProposal = "pending_proposal"
        case ticketNumber = "ticket_number"
        case waitOffer = "wait_offer"
    }

    var record: ChatSessionRecord

    init(row: Row) throws {
        let stateValue: String = row[Columns.state]
        guard let state = SessionState(rawValue: stateValue) else {
            throw StorageError.corruptRow("unknown session state \"\(stateValue)\"")
        }
        let organizationID: OrganizationID = row[Columns.organizationID]
        let agentID: StaffID? = row[Columns.agentID]
        let stageValue: String = row[Columns.budgetStage]
        guard let stage = QuickQuestionBudget.Stage(rawValue: stageValue) else {
            throw StorageError.corruptRow("unknown budget stage \"\(stageValue)\"")
        }
        let budget = QuickQuestionBudget(
            limitSeconds: row[Columns.budgetLimit], usedSeconds: row[Columns.budgetUsed],
            runningSince: (row[Columns.budgetRunningSince] as Double?).map(Date.init(timeIntervalSince1970:)), stage: stage)
        record = ChatSessionRecord(
            id: row[Columns.id],
            organizationID: organizationID,
            customer: CustomerIdentity(organizationID: organizationID, contactID: row[Columns.contactID],
                                       name: row[Columns.customerName], email: row[Columns.customerEmail]),
            productID: row[Columns.productID],
            subject: row[Columns.subject],
            state: state,
            agent: agentID.map { StaffRef(id: $0, name: row[Columns.agentName] ?? "") },
            createdAt: Date(timeIntervalSince1970: row[Columns.createdAt]),
            queuedAt: (row[Columns.queuedAt] as Double?).map(Date.init(timeIntervalSince1970:)),
            closedAt: (row[Columns.closedAt] as Double?).map(Date.init(timeIntervalSince1970:)),
            requestClientID: row[Columns.requestClientID],
            budget: budget,
            pendingProposal: try ProposalJSON.decode(row[Columns.pendingProposal]),
            ticketNumber: row[Columns.ticketNumber])
        let waitOfferValue: String = row[Columns.waitOffer]
        guard let waitOffer = WaitOfferStage(rawValue: waitOfferValue) else {
            throw StorageError.corruptRow("unknown wait offer \"\(waitOfferValue)\"")
        }
        record.waitOffer = waitOffer
    }

    static let insertSQL = """
        INSERT INTO sessions (id, organization_id, contact_id, customer_name, customer_email, product_id, subject,
                              state, agent_id, agent_name, created_at, queued_at, closed_at, request_client_id,
                              budget_limit, budget_used, budget_running_since, budget_stage, pending_proposal, ticket_number,
                              wait_offer)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func insertArguments(_ record: ChatSessionRecord) -> StatementArguments {
        [record.id, record.organizationID, record.customer.contactID, record.customer.name, record.customer.email,
         record.productID, record.subject, record.state.rawValue, record.agent?.id, record.agent?.name,
         record.createdAt.timeIntervalSince1970, record.queuedAt?.timeIntervalSince1970,
         record.closedAt?.timeIntervalSince1970, record.requestClientID,
         record.budget.limitSeconds, record.budget.usedSeconds, record.budget.runningSince?.timeIntervalSince1970,
         record.budget.stage.rawValue, ProposalJSON.encode(record.pendingProposal), record.ticketNumber,
         record.waitOffer.rawValue]
    }

    /// Only the columns that change during a session's life.
    static let updateSQL = """
        UPDATE sessions SET state = ?, agent_id = ?, agent_name = ?, queued_at = ?, closed_at = ?,
               budget_limit = ?, budget_used = ?, budget_running_since = ?, budget_stage = ?, pending_proposal = ?,
               ticket_number = ?, wait_offer = ?
        WHERE id = ?
        """

    static func updateArguments(_ record: ChatSessionRecord) -> StatementArguments {
        [record.state.rawValue, record.agent?.id, record.agent?.name, record.queuedAt?.timeIntervalSince1970,
         record.closedAt?.timeIntervalSince1970,
         record.budget.limitSeconds, record.budget.usedSeconds, record.budget.runningSince?.timeIntervalSince1970,
         record.budget.stage.rawValue, ProposalJSON.encode(record.pendingProposal), record.ticketNumber,
         record.waitOffer.rawValue, record.id]
    }
}
