import ChatCore
import Foundation

/// Attachment metadata (as `ChatStore+Attachments.swift`): the writer stores one `attachments` row per
/// `attachment` event, in the event's transaction. The bytes live in `attachmentFiles`.
///
/// Threading: blocking and thread-safe (a pooled connection per call); worker threads.
extension PostgresStore {
    /// The attachment of event `seq` of chat `sessionID` (committed), or nil.
    public func attachment(sessionID: SessionID, seq: Seq) throws -> StoredAttachment? {
        try pool.with { c in
            let rows = try c.execute("SELECT sha256, name, type, size FROM attachments WHERE session_id = $1 AND seq = $2",
                                     [.int(sessionID), .int(seq)])
            guard rows.count > 0 else { return nil }
            return StoredAttachment(sessionID: sessionID, seq: seq, sha256: rows.string(0, 0) ?? "",
                                    name: rows.string(0, 1) ?? "", type: rows.string(0, 2) ?? "", size: rows.int(0, 3) ?? 0)
        }
    }

    /// How many chats attached the content `sha256`.
    public func attachmentUses(sha256: String) throws -> Int {
        try pool.with { c in
            Int(try c.execute("SELECT COUNT(*) FROM attachments WHERE sha256 = $1", [.text(sha256)]).int(0, 0) ?? 0)
        }
    }

    /// Nothing to catch up: full-text search is written with the events (the supervision area's tsvector).
    @discardableResult public func indexSearch(chunk: Int) throws -> Int { 0 }
}
