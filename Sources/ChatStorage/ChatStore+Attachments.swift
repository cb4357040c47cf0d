import ChatCore
import Foundation
import GRDB

/// What a download needs of one attachment.
public struct StoredAttachment: Sendable, Equatable {
    public var sessionID: SessionID
    public var seq: Seq
    public var sha256: String
    public var name: String
    public var type: String
    public var size: Int64
}

extension ChatStore {
    /// The attachment store beside the database: `<database directory>/attachments`.
    public var attachmentFiles: AttachmentFiles {
        AttachmentFiles(root: URL(fileURLWithPath: path).deletingLastPathComponent()
            .appendingPathComponent("attachments", isDirectory: true))
    }

    /// The attachment of event `seq` of chat `sessionID` (committed), or nil. Blocking; worker threads.
    public func attachment(sessionID: SessionID, seq: Seq) throws -> StoredAttachment? {
        try dbPool.read { db in
            try Row.fetchOne(db, sql: "SELECT sha256, name, type, size FROM attachments WHERE session_id = ? AND seq = ?",
                             arguments: [sessionID, seq]).map { row in
                StoredAttachment(sessionID: sessionID, seq: seq, sha256: row[0], name: row[1], type: row[2], size: row[3])
            }
        }
    }

    /// How many chats attached the content `sha256` (tests, the admin CLI).
    public func attachmentUses(sha256: String) throws -> Int {
        try dbPool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attachments WHERE sha256 = ?", arguments: [sha256]) ?? 0
        }
    }
}
