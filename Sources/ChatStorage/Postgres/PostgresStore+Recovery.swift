import ChatCore
import Foundation

extension PostgresStore {
    /// What the engine needs at start-up (same answer as `ChatStore.recoverState`): the next session id; every
    /// session that is not closed with its last seq, its last `tailSize` events (oldest first), all its client
    /// message ids (by author) and its read markers; the organizations of those sessions; every staff member's last
    /// stored availability. First removes open sessions without any event (chats whose request was never stored,
    /// which nobody was ever told of).
    ///
    /// One transaction, a handful of statements whatever the number of open chats. Blocking; call it before the
    /// service thread starts. In a cluster, call it while no node writes (a chat created by another node whose
    /// first event is still in flight would be taken for a dead one).
    public func recoverState(tailSize: Int) throws -> RecoveredState {
        let tailSize = Int64(max(0, tailSize))
        return try pool.with { c in
            try c.transaction { c in
                try c.execute("""
                    DELETE FROM sessions s WHERE state <> 'closed'
                    AND NOT EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id)
                    """)
                let next = try c.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM sessions").int(0, 0) ?? 1
                let sessionRows = try c.execute("""
                    SELECT \(PGRows.sessionColumns) FROM sessions WHERE state <> 'closed' ORDER BY id
                    """)
                var tails: [SessionID: [SessionEvent]] = [:]
                let tailRows = try c.execute("""
                    SELECT \(PGRows.eventColumns(qualifiedBy: "e"))
                    FROM sessions s JOIN events e ON e.session_id = s.id AND e.seq > s.last_seq - $1
                    WHERE s.state <> 'closed' ORDER BY e.session_id, e.seq
                    """, [.int(tailSize)])
                for event in try PGRows.events(tailRows) { tails[event.sessionID, default: []].append(event) }
                var clientIDs: [SessionID: [ClientMessageKey: Seq]] = [:]
                let idRows = try c.execute("""
                    SELECT e.session_id, e.author_role, e.author_id, e.client_msg_id, e.seq
                    FROM sessions s JOIN events e ON e.session_id = s.id
                    WHERE s.state <> 'closed' AND e.client_msg_id IS NOT NULL
                    """)
                for row in 0..<idRows.count {
                    guard let session = idRows.int(row, 0),
                          let role = idRows.string(row, 1).flatMap(Participant.Role.init(rawValue:)) else { continue }
                    let key = ClientMessageKey(author: AuthorKey(role: role, id: idRows.string(row, 2) ?? ""),
                                               clientID: idRows.string(row, 3) ?? "")
                    clientIDs[session, default: [:]][key] = idRows.int(row, 4) ?? 0
                }
                var markers: [SessionID: [Participant.Role: Seq]] = [:]
                let markerRows = try c.execute("""
                    SELECT r.session_id, r.role, r.seq FROM sessions s JOIN read_markers r ON r.session_id = s.id
                    WHERE s.state <> 'closed'
                    """)
                for row in 0..<markerRows.count {
                    guard let session = markerRows.int(row, 0),
                          let role = markerRows.string(row, 1).flatMap(Participant.Role.init(rawValue:)) else { continue }
                    markers[session, default: [:]][role] = markerRows.int(row, 2) ?? 0
                }
                var open: [RecoveredSession] = []
                var organizationIDs = Set<OrganizationID>()
                for row in 0..<sessionRows.count {
                    let record = try PGRows.session(sessionRows, row)
                    organizationIDs.insert(record.organizationID)
                    let marks = markers[record.id] ?? [:]
                    open.append(RecoveredSession(
                        record: record, lastSeq: sessionRows.int(row, PGRows.sessionLastSeqColumn) ?? 0,
                        tail: tails[record.id] ?? [], clientMessageIDs: clientIDs[record.id] ?? [:],
                        customerReadSeq: marks[.customer] ?? 0, agentReadSeq: marks[.agent] ?? 0))
                }
                let organizations = try Self.organizations(c, ids: organizationIDs.sorted())
                var staff: [RecoveredStaff] = []
                let staffRows = try c.execute("""
                    SELECT staff.id, staff.username, staff.name, staff.role, staff_status.status
                    FROM staff JOIN staff_status ON staff_status.staff_id = staff.id ORDER BY staff.id
                    """)
                for row in 0..<staffRows.count {
                    guard let status = staffRows.string(row, 4).flatMap(AgentStatus.init(rawValue:)) else { continue }
                    staff.append(RecoveredStaff(identity: try PGRows.staff(staffRows, row), status: status))
                }
                return RecoveredState(nextSessionID: next, openSessions: open, organizations: organizations, staff: staff)
            }
        }
    }
}
