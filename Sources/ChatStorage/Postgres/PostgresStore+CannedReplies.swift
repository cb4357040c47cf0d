import ChatCore
import Foundation

// Canned replies on PostgreSQL (`canned_replies`, p2-supervision): shared ones (`owner_id` NULL) and personal
// ones; a shortcut is unique per scope (the unique index keys NULL as 0).
//
// Threading: blocking, thread-safe (a pooled connection per call); never on the lws service thread.
extension PostgresStore {
    /// The shared replies and `staffID`'s own, by shortcut.
    public func cannedReplies(for staffID: StaffID) throws -> [CannedReply] {
        try pool.with { connection in
            try PGSupervisionRows.all(try connection.execute("""
                SELECT * FROM canned_replies WHERE owner_id IS NULL OR owner_id = $1
                ORDER BY shortcut COLLATE "C", owner_id IS NULL
                """, [.int(staffID)]), Self.cannedReply)
        }
    }

    public func cannedReply(id: Int64) throws -> CannedReply? {
        try pool.with { connection in
            let rows = try connection.execute("SELECT * FROM canned_replies WHERE id = $1", [.int(id)])
            return rows.count == 1 ? try Self.cannedReply(rows, 0) : nil
        }
    }

    /// Creates a reply, or replaces the one with `id`. Throws `StorageError` `shortcut_taken` when the shortcut is
    /// in use in the same scope, `not_found` for an unknown id.
    public func saveCannedReply(id: Int64?, ownerID: StaffID?, shortcut: String, title: String, body: String,
                                at now: Date) throws -> CannedReply {
        do {
            return try pool.with { connection in
                if let id {
                    let rows = try connection.execute("""
                        UPDATE canned_replies SET owner_id = $1, shortcut = $2, title = $3, body = $4, updated_at = $5
                        WHERE id = $6
                        """, [pg(ownerID), .text(shortcut), .text(title), .text(body), pg(now), .int(id)])
                    guard rows.affectedRows == 1 else { throw StorageError.notFound("The canned reply \(id)") }
                    return CannedReply(id: id, ownerID: ownerID, shortcut: shortcut, title: title, body: body, updatedAt: now)
                }
                let rows = try connection.execute("""
                    INSERT INTO canned_replies (owner_id, shortcut, title, body, updated_at) VALUES ($1, $2, $3, $4, $5)
                    RETURNING id
                    """, [pg(ownerID), .text(shortcut), .text(title), .text(body), pg(now)])
                return CannedReply(id: try PGSupervisionRows.required(rows.int(0, 0), "canned_replies.id"), ownerID: ownerID,
                                   shortcut: shortcut, title: title, body: body, updatedAt: now)
            }
        } catch let error as PGError where error.isUniqueViolation {
            throw StorageError(code: "shortcut_taken", message: "The shortcut /\(shortcut) is already in use.")
        }
    }

    /// Deletes a reply; false when there was none.
    public func deleteCannedReply(id: Int64) throws -> Bool {
        try pool.with { try $0.execute("DELETE FROM canned_replies WHERE id = $1", [.int(id)]).affectedRows == 1 }
    }

    static func cannedReply(_ rows: PGResult, _ i: Int) throws -> CannedReply {
        CannedReply(id: try PGSupervisionRows.required(rows.int(i, "id"), "canned_replies.id"),
                    ownerID: rows.int(i, "owner_id"), shortcut: rows.string(i, "shortcut") ?? "",
                    title: rows.string(i, "title") ?? "", body: rows.string(i, "body") ?? "",
                    updatedAt: rows.date(i, "updated_at") ?? Date(timeIntervalSince1970: 0))
    }
}
