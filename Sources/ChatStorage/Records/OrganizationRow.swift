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
        case regionID = "region_id"
    }

    var id: OrganizationID
    var name: String
    var planID: String
    var createdAt: Date
    /// Added by "v2-tickets"; NULL means the policy's default region.
    var regionID: String?

    init(row: Row) {
        id = row[Columns.id]
        name = row[Columns.name]
        planID = row[Columns.planID]
        createdAt = Date(timeIntervalSince1970: row[Columns.createdAt])
        regionID = row[Columns.regionID]
    }

    static let insertSQL = "INSERT INTO organizations (id, name, plan_id, created_at, region_id) VALUES (?, ?, ?, ?, ?)"

    func record(contacts: Set<ContactID>) -> OrganizationRecord {
        OrganizationRecord(id: id, name: name, planID: planID, authorizedContacts: contacts, regionID: regionID)
    }
}
