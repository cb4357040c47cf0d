import ChatCore
import GRDB

extension ChatStore {
    /// What the engine needs at start-up: the next session id; every session that is not closed with its last
    /// seq, its last `tailSize` events (oldest first), all its client message ids (by author) and its read
    /// markers; the organizations of those sessions; every staff member's last stored availability.
    ///
    /// First indexes every event not indexed yet (so what follows reads the index alone), then removes open
    /// sessions without any event: chats whose request was never stored (a crash came
    /// between the failed write and the engine abandoning the row), which nobody was ever told of.
    ///
    /// One transaction. Blocking; call it before the service thread starts.
    public func recoverState(tailSize: Int) throws -> RecoveredState {
        let tailSize = max(0, tailSize)
        return try dbPool.write { db in
            _ = try Self.indexTail(db)
            try db.execute(sql: """
                DELETE FROM sessions WHERE state != 'closed'
                AND NOT EXISTS (SELECT 1 FROM event_index WHERE session_id = sessions.id)
                """)
            let nextSessionID = try SessionID.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM sessions") ?? 1
            let sessions = try SessionRow.fetchAll(
                db, sql: "SELECT * FROM sessions WHERE state != 'closed' ORDER BY id")
            var open: [RecoveredSession] = []
            open.reserveCapacity(sessions.count)
            var organizationIDs = Set<OrganizationID>()
            for session in sessions {
                let id = session.record.id
                organizationIDs.insert(session.record.organizationID)
                let lastSeq = try EventReads.aggregates(db, sessionID: id).lastSeq
                let tail = try EventReads.events(db, sessionID: id, afterSeq: max(0, lastSeq - Seq(tailSize)),
                                                 limit: nil)
                var clientIDs: [ClientMessageKey: Seq] = [:]
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT e.author_role, e.author_id, e.client_msg_id, e.seq
                    FROM event_index i JOIN events e ON e.id = i.event_id
                    WHERE i.session_id = ? AND e.client_msg_id IS NOT NULL
                    """, arguments: [id])
                while let row = try rows.next() {
                    guard let role = Participant.Role(rawValue: row[0]) else { continue }
                    clientIDs[ClientMessageKey(author: AuthorKey(role: role, id: row[1]), clientID: row[2])] = row[3]
                }
                let markers = try Self.readMarkers(db, id)
                open.append(RecoveredSession(record: session.record, lastSeq: lastSeq, tail: tail,
                                             clientMessageIDs: clientIDs, customerReadSeq: markers[.customer] ?? 0,
                                             agentReadSeq: markers[.agent] ?? 0))
            }
            var organizations: [OrganizationRecord] = []
            for organizationID in organizationIDs.sorted() {
                guard let row = try OrganizationRow.fetchOne(db, sql: "SELECT * FROM organizations WHERE id = ?",
                                                             arguments: [organizationID]) else { continue }
                let contacts = try String.fetchAll(
                    db, sql: "SELECT contact_id FROM organization_contacts WHERE organization_id = ?",
                    arguments: [organizationID])
                organizations.append(row.record(contacts: Set(contacts)))
            }
            var staff: [RecoveredStaff] = []
            let statusRows = try Row.fetchCursor(db, sql: """
                SELECT staff.*, staff_status.status AS last_status FROM staff JOIN staff_status ON staff_status.staff_id = staff.id
                ORDER BY staff.id
                """)
            while let row = try statusRows.next() {
                guard let status = AgentStatus(rawValue: row["last_status"]) else { continue }
                staff.append(RecoveredStaff(identity: try StaffRow(row: row).identity, status: status))
            }
            return RecoveredState(nextSessionID: nextSessionID, openSessions: open, organizations: organizations,
                                  staff: staff)
        }
    }

    static func readMarkers(_ db: Database, _ id: SessionID) throws -> [Participant.Role: Seq] {
        var markers: [Participant.Role: Seq] = [:]
        for row in try ReadMarkerRow.fetchAll(db, sql: "SELECT * FROM read_markers WHERE session_id = ?", arguments: [id]) {
            if let role = row.role { markers[role] = row.seq }
        }
        return markers
    }
}
