import ChatCore
import Foundation
import GRDB

/// A row of `staff_tokens`: a staff login token, stored as its hash only.
struct StaffTokenRow: FetchableRecord, TableRecord {
    static let databaseTableName = "staff_tokens"

    enum Columns: String, ColumnExpression {
        case tokenHash = "token_hash"
        case staffID = "staff_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }

    var tokenHash: String
    var staffID: StaffID
    var createdAt: Date
    var expiresAt: Date

    init(row: Row) {
        tokenHash = row[Columns.tokenHash]
        staffID = row[Columns.staffID]
        createdAt = Date(timeIntervalSince1970: row[Columns.createdAt])
        expiresAt = Date(timeIntervalSince1970: row[Columns.expiresAt])
    }

    static let insertSQL = """
        INSERT INTO staff_tokens (token_hash, staff_id, created_at, expires_at) VALUES (?, ?, ?, ?)
        """
}
