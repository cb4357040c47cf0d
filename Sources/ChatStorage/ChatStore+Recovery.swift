import ChatCore
import GRDB

extension ChatStore {
    /// What the engine needs at start-up: the next session id, and every session that is not closed with its last
    /// seq, its last `tailSize` events (oldest first) and all its client message ids.
    ///
    /// Read from one consistent snapshot. Blocking; call it before the service thread starts.
    public func recoverState(tailSize: Int) throws -> RecoveredState {
        let tailSize = max(0, tailSize)
        return try dbPool.read { db in
            let nextSessionID = try SessionID.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM sessions") ?? 1
            let sessions = try SessionRow.fetchAll(
                db, sql: "SELECT * FROM sessions WHERE state != 'closed' ORDER BY id")
            var open: [RecoveredSession] = []
            open.reserveCapacity(sessions.count)
            for session in sessions {
                let id = session.record.id
                let lastSeq = try Seq.fetchOne(
                    db, sql: "SELECT COALESCE(MAX(seq), 0) FROM session_events WHERE session_id = ?",
                    arguments: [id]) ?? 0
                let tail = try SessionEventRow.fetchAll(db, sql: """
                    SELECT * FROM session_events WHERE session_id = ? ORDER BY seq DESC LIMIT ?
                    """, arguments: [id, tailSize]).reversed().map(\.event)
                var clientIDs: [String: Seq] = [:]
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT client_msg_id, seq FROM session_events
                    WHERE session_id = ? AND client_msg_id IS NOT NULL
                    """, arguments: [id])
                while let row = try rows.next() {
                    clientIDs[row[0]] = row[1]
                }
                open.append(RecoveredSession(record: session.record, lastSeq: lastSeq, tail: tail,
                                             clientMessageIDs: clientIDs))
            }
            return RecoveredState(nextSessionID: nextSessionID, openSessions: open)
        }
    }
}
