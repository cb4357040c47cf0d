import ChatCore
import GRDB

extension ChatStore {
    /// The session with this id (open or closed), or nil.
    ///
    /// Blocking; any thread but the lws service thread.
    public func session(id: SessionID) throws -> ChatSessionRecord? {
        try dbPool.read { db in
            try SessionRow.fetchOne(db, sql: "SELECT * FROM sessions WHERE id = ?", arguments: [id])
        }?.record
    }

    /// The committed events of a session with `seq > afterSeq`, ordered by seq, at most `limit` of them
    /// (no limit when nil).
    ///
    /// Blocking; any thread but the lws service thread (the engine asks for it through `Effect.loadHistory`).
    public func events(sessionID: SessionID, afterSeq: Seq = 0, limit: Int? = nil) throws -> [SessionEvent] {
        try dbPool.read { db in try EventReads.events(db, sessionID: sessionID, afterSeq: afterSeq, limit: limit) }
    }

    /// How far each role has read a session. Roles that never marked anything are absent.
    ///
    /// Blocking; any thread but the lws service thread.
    public func readMarkers(sessionID: SessionID) throws -> [Participant.Role: Seq] {
        let rows = try dbPool.read { db in
            try ReadMarkerRow.fetchAll(db, sql: "SELECT * FROM read_markers WHERE session_id = ?",
                                       arguments: [sessionID])
        }
        var markers: [Participant.Role: Seq] = [:]
        for row in rows {
            if let role = row.role { markers[role] = row.seq }
        }
        return markers
    }
}
