import ChatCore
import Foundation
import GRDB

/// The append-only audit log (`audit_log`, migration v14-audit).
///
/// Blocking; any thread but the lws service thread. The HTTP routes append from a worker thread, in one small
/// transaction per request, before the answer is sent: a read that could not be recorded is not served. (With
/// `durability: .normal` a WAL commit does not wait for fsync; with `.full` it does, once per request.)
extension ChatStore {
    /// Appends entries in one transaction. Returns their ids in order.
    @discardableResult
    public func appendAudit(_ entries: [AuditEntry]) throws -> [Int64] {
        guard !entries.isEmpty else { return [] }
        return try dbPool.write { db in
            var ids: [Int64] = []
            for entry in entries {
                try db.execute(sql: """
                    INSERT INTO audit_log (at, staff_id, staff_name, staff_role, action, target, detail, address)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [entry.at.timeIntervalSince1970, entry.staffID, entry.staffName,
                                     entry.staffRole.rawValue, entry.action.rawValue, entry.target, entry.detail,
                                     entry.address])
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
    }

    /// One page of the audit log matching `filter`, newest first, keyset-paged by id.
    public func auditEntries(matching filter: AuditFilter) throws -> AuditPage {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let staffID = filter.staffID { conditions.append("staff_id = ?"); arguments += [staffID] }
        if let action = filter.action { conditions.append("action = ?"); arguments += [action.rawValue] }
        if let from = filter.from { conditions.append("at >= ?"); arguments += [from.timeIntervalSince1970] }
        if let to = filter.to { conditions.append("at < ?"); arguments += [to.timeIntervalSince1970] }
        if let before = filter.beforeID { conditions.append("id < ?"); arguments += [before] }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = filter.effectiveLimit
        arguments += [limit + 1]
        return try dbPool.read { db in
            var entries: [AuditEntry] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log \(whereClause) ORDER BY id DESC LIMIT ?",
                                           arguments: arguments)
            while let row = try rows.next() {
                let roleText: String = row["staff_role"], actionText: String = row["action"]
                guard let role = StaffRole(rawValue: roleText), let action = AuditAction(rawValue: actionText) else {
                    throw StorageError.corruptRow("audit_log row \(row["id"] as Int64) has role \(roleText), action \(actionText)")
                }
                entries.append(AuditEntry(id: row["id"], at: Date(timeIntervalSince1970: row["at"]),
                                          staffID: row["staff_id"], staffName: row["staff_name"], staffRole: role,
                                          action: action, target: row["target"], detail: row["detail"],
                                          address: row["address"]))
            }
            let more = entries.count > limit
            if more { entries.removeLast() }
            return AuditPage(entries: entries, nextBefore: more ? entries.last?.id : nil)
        }
    }
}
