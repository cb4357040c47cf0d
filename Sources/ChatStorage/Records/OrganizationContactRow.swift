import ChatCore
import Foundation
import GRDB

/// A row of `organization_contacts`: a contact that counts against its organization's limit.
struct OrganizationContactRow: FetchableRecord, TableRecord {
    static let databaseTableName = "organization_contacts"

    enum Columns: String, ColumnExpression {
        case organizationID = "organization_id"
        case contactID = "contact_id"
        case registeredAt = "registered_at"
    }

    var organizationID: OrganizationID
    var contactID: ContactID
    var registeredAt: Date

    init(row: Row) {
        organizationID = row[Columns.organizationID]
        contactID = row[Columns.contactID]
        registeredAt = Date(timeIntervalSince1970: row[Columns.registeredAt])
    }

    /// Registering twice keeps the first registration.
    static let insertOrIgnoreSQL = """
        INSERT OR IGNORE INTO organization_contacts (organization_id, contact_id, registered_at) VALUES (?, ?, ?)
        """
}
