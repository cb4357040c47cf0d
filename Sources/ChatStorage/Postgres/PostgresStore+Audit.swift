import ChatCore
import Foundation

// The append-only audit log on PostgreSQL (`audit_log`, p2-supervision): a trigger refuses UPDATE, DELETE and
// TRUNCATE, whoever connects.
//
// Threading: blocking, thread-safe (a pooled connection per call); never on the lws service thread. The HTTP
// routes append from a worker thread, in one small transaction per request, before the answer is sent.
extension PostgresStore {
    /// Appends entries in one transaction. Returns their ids in order.
    @discardableResult
    public func appendAudit(_ entries: [AuditEntry]) throws -> [Int64] {
        guard !entries.isEmpty else { return [] }
        return try pool.with { connection in
            try connection.transaction { c in
                try entries.map { entry in
                    let rows = try c.execute("""
                        INSERT INTO audit_log (at, staff_id, staff_name, staff_role, action, target, detail, address)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
                        """, [pg(entry.at), .int(entry.staffID), .text(entry.staffName), .text(entry.staffRole.rawValue),
                              .text(entry.action.rawValue), pg(entry.target), pg(entry.detail), .text(entry.address)])
                    return try PGSupervisionRows.required(rows.int(0, 0), "audit_log.id")
                }
            }
        }
    }

    /// One page of the audit log matching `filter`, newest first, keyset-paged by id.
    public func auditEntries(matching filter: AuditFilter) throws -> AuditPage {
        var statement = PGStatement()
        var conditions: [String] = []
        if let staffID = filter.staffID { conditions.append("staff_id = \(statement.bind(.int(staffID)))") }
        if let action = filter.action { conditions.append("action = \(statement.bind(.text(action.rawValue)))") }
        if let from = filter.from { conditions.append("at >= \(statement.bind(pg(from)))") }
        if let to = filter.to { conditions.append("at < \(statement.bind(pg(to)))") }
        if let before = filter.beforeID { conditions.append("id < \(statement.bind(.int(before)))") }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = filter.effectiveLimit
        let sql = "SELECT * FROM audit_log \(whereClause) ORDER BY id DESC LIMIT \(statement.bind(.int(Int64(limit + 1))))"
        let rows = try pool.with { try $0.execute(sql, statement.parameters) }
        var entries: [AuditEntry] = []
        for i in 0..<rows.count {
            let roleText = rows.string(i, "staff_role") ?? "", actionText = rows.string(i, "action") ?? ""
            let id = try PGSupervisionRows.required(rows.int(i, "id"), "audit_log.id")
            guard let role = StaffRole(rawValue: roleText), let action = AuditAction(rawValue: actionText) else {
                throw StorageError.corruptRow("audit_log row \(id) has role \(roleText), action \(actionText)")
            }
            entries.append(AuditEntry(id: id, at: try PGSupervisionRows.required(rows.date(i, "at"), "audit_log.at"),
                                      staffID: rows.int(i, "staff_id") ?? 0, staffName: rows.string(i, "staff_name") ?? "",
                                      staffRole: role, action: action, target: rows.string(i, "target"),
                                      detail: rows.string(i, "detail"), address: rows.string(i, "address") ?? ""))
        }
        let more = entries.count > limit
        if more { entries.removeLast() }
        return AuditPage(entries: entries, nextBefore: more ? entries.last?.id : nil)
    }
}
