import ChatCore
import Foundation
import GRDB

/// A row of `organizations`. Plain value; used inside database accesses only.
struct OrganizationRow: FetchableRecord, TableRecord {
    static let databaseTableName = "organizations"

    enum Columns: String, ColumnExpression {
        case id
        case name
        case planID = "plan_id"
        case createdAt = "created_at"
    }

    var id: OrganizationID
    var name: String
    var planID: String
    var createdAt: Date

    init(row: Row) {
        id = row[Columns.id]
        name = row[Columns.name]
        planID = row[Columns.planID]
        createdAt = Date(timeIntervalSince1970: row[Columns.createdAt])
    }

    static let insertSQL = "INSERT INTO organizations (id, name, plan_id, created_at) VALUES (?, ?, ?, ?)"

    func record(contacts: Set<ContactID>) -> OrganizationRecord {
        OrganizationRecord(id: id, name: name, planID: planID, authorizedContacts: contacts)
    }
}
