import ChatCore
import Foundation
import GRDB

// # Schema, v12-canned-replies (issue 12: working faster)
//
// `canned_replies`: reply templates agents insert by typing `/` and a shortcut. `owner_id` NULL: shared (managed
// by supervisors); else personal to that staff member. A shortcut is unique among the shared ones and among each
// owner's own (the index keys NULL as 0).

/// A reply template. Plain value; safe on any thread.
public struct CannedReply: Sendable, Equatable {
    public var id: Int64
    /// nil: shared by the whole team.
    public var ownerID: StaffID?
    /// What is typed after `/` to find it: letters, digits, `-` and `_`.
    public var shortcut: String
    public var title: String
    /// The text, with placeholders such as `{customer.name}` filled in by the page.
    public var body: String
    public var updatedAt: Date

    public init(id: Int64, ownerID: StaffID?, shortcut: String, title: String, body: String, updatedAt: Date) {
        self.id = id
        self.ownerID = ownerID
        self.shortcut = shortcut
        self.title = title
        self.body = body
        self.updatedAt = updatedAt
    }
}

extension ChatStore {
    static func registerCannedRepliesMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v12-canned-replies") { db in
            try db.execute(sql: """
                CREATE TABLE canned_replies (
                    id INTEGER PRIMARY KEY,
                    owner_id INTEGER REFERENCES staff(id) ON DELETE CASCADE,
                    shortcut TEXT NOT NULL,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE UNIQUE INDEX canned_replies_by_shortcut ON canned_replies(COALESCE(owner_id, 0), shortcut);
                """)
        }
    }

    /// The shared replies and `staffID`'s own, by shortcut. Blocking; any thread but the lws service thread.
    public func cannedReplies(for staffID: StaffID) throws -> [CannedReply] {
        try dbPool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM canned_replies WHERE owner_id IS NULL OR owner_id = ? ORDER BY shortcut, owner_id IS NULL
                """, arguments: [staffID]).map(Self.cannedReply)
        }
    }

    public func cannedReply(id: Int64) throws -> CannedReply? {
        try dbPool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM canned_replies WHERE id = ?", arguments: [id]).map(Self.cannedReply)
        }
    }

    /// Creates a reply, or replaces the one with `id`. Throws `StorageError` `shortcut_taken` when the shortcut is
    /// in use in the same scope (shared, or the owner's), `not_found` for an unknown id.
    public func saveCannedReply(id: Int64?, ownerID: StaffID?, shortcut: String, title: String, body: String,
                                at now: Date) throws -> CannedReply {
        do {
            return try dbPool.write { db in
                if let id {
                    try db.execute(sql: """
                        UPDATE canned_replies SET owner_id = ?, shortcut = ?, title = ?, body = ?, updated_at = ? WHERE id = ?
                        """, arguments: [ownerID, shortcut, title, body, now.timeIntervalSince1970, id])
                    guard db.changesCount == 1 else { throw StorageError.notFound("The canned reply \(id)") }
                    return CannedReply(id: id, ownerID: ownerID, shortcut: shortcut, title: title, body: body, updatedAt: now)
                }
                try db.execute(sql: """
                    INSERT INTO canned_replies (owner_id, shortcut, title, body, updated_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [ownerID, shortcut, title, body, now.timeIntervalSince1970])
                return CannedReply(id: db.lastInsertedRowID, ownerID: ownerID, shortcut: shortcut, title: title,
                                   body: body, updatedAt: now)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StorageError(code: "shortcut_taken", message: "The shortcut /\(shortcut) is already in use.")
        }
    }

    /// Deletes a reply; false when there was none. Blocking.
    public func deleteCannedReply(id: Int64) throws -> Bool {
        try dbPool.write { db in
            try db.execute(sql: "DELETE FROM canned_replies WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    static func cannedReply(_ row: Row) -> CannedReply {
        CannedReply(id: row["id"], ownerID: row["owner_id"], shortcut: row["shortcut"], title: row["title"],
                    body: row["body"], updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }
}
