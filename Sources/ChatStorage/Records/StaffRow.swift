import ChatCore
import Foundation
import GRDB

/// A row of `staff`: an agent or supervisor account.
struct StaffRow: FetchableRecord, TableRecord {
    static let databaseTableName = "staff"

    enum Columns: String, ColumnExpression {
        case id
        case username
        case name
        case role
        case passwordHash = "password_hash"
        case createdAt = "created_at"
        case disabledAt = "disabled_at"
    }

    var identity: StaffIdentity
    var passwordHash: String
    var createdAt: Date
    var disabledAt: Date?

    init(row: Row) throws {
        let roleValue: String = row[Columns.role]
        guard let role = StaffRole(rawValue: roleValue) else {
            throw StorageError.corruptRow("unknown staff role \"\(roleValue)\"")
        }
        identity = StaffIdentity(id: row[Columns.id], username: row[Columns.username], name: row[Columns.name],
                                 role: role)
        passwordHash = row[Columns.passwordHash]
        createdAt = Date(timeIntervalSince1970: row[Columns.createdAt])
        disabledAt = (row[Columns.disabledAt] as Double?).map(Date.init(timeIntervalSince1970:))
    }

    static let insertSQL = """
        INSERT INTO staff (username, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)
        """
}
