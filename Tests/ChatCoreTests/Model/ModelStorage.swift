import Foundation
@testable import ChatCore

/// SQLite as the engine's contract sees it, in memory: writes arrive in order, a prefix of them commits at a
/// time, a crash loses the rest. Enforces the constraints the real schema has (unique (session, seq), unique
/// (session, author, client id), unique request keys), so an engine that asks for a duplicate fails the run.
struct ModelStorage {
    var sessions: [SessionID: ChatSessionRecord] = [:]
    var events: [SessionID: [SessionEvent]] = [:]
    var readMarkers: [SessionID: [Participant.Role: Seq]] = [:]
    var staffStatus: [StaffID: AgentStatus] = [:]
    var contacts: [OrganizationID: Set<ContactID>] = [:]
    var serviceOrders: [ServiceOrder] = []
    /// Tickets by number, with the request key that made them (urgent after-hours requests).
    var tickets: [Int64: (request: TicketRequest, key: ChatRequestKey?)] = [:]
    var nextTicket: Int64 = 1
    /// Submitted, not yet committed (lost by a crash), as submitted: the writes of one engine step are one
    /// submission, and the group-commit writer never splits a submission across transactions.
    var pending: [[StorageWrite]] = []

    /// Writes that will fail on their own when committed (as a constraint violation would), by their index in
    /// the order of submission; and, as in the writer, sessions broken from a failed seq (0: never stored).
    var doomed: [StorageWrite] = []
    var brokenFrom: [SessionID: Seq] = [:]
    /// Writes the last `commit` failed, in order.
    var failed: [StorageWrite] = []

    /// The writer's rule: nothing of a session is committed after its failed event, until the engine numbers that
    /// seq again; nothing at all of a session whose row failed.
    private mutating func heldBack(_ write: StorageWrite) -> Bool {
        let session: SessionID?
        switch write {
        case .createSession(let r), .updateSession(let r): session = r.id
        case .appendEvent(let e): session = e.sessionID
        case .readMarker(let id, _, _): session = id
        case .recordServiceOrder(let o): session = o.sessionID
        default: session = nil
        }
        guard let session, let from = brokenFrom[session] else { return false }
        if from == 0 { return true }
        guard case .appendEvent(let event) = write else { return false }
        if event.seq <= from { brokenFrom[session] = nil; return false }
        return true
    }

    /// Commits the first `count` pending submissions in one transaction (one by one around failing writes, as
    /// the writer does). Returns the receipt, or a violation; failed writes are in `failed`.
    mutating func commit(_ count: Int) -> Result<CommitReceipt, ModelViolation> {
        let batch = pending.prefix(count).flatMap { $0 }
        pending.removeFirst(min(count, pending.count))
        failed = []
        var seqs: [SessionID: Seq] = [:]
        for write in batch {
            if heldBack(write) { failed.append(write); continue }
            if let index = doomed.firstIndex(of: write) {
                doomed.remove(at: index)
                failed.append(write)
                switch write {
                case .appendEvent(let e): brokenFrom[e.sessionID] = min(brokenFrom[e.sessionID] ?? e.seq, e.seq)
                case .createSession(let r): brokenFrom[r.id] = 0
                default: break
                }
                continue
            }
            switch write {
            case .createSession(let record):
                if sessions[record.id] != nil { return .failure(.init("session \(record.id) created twice")) }
                if let clientID = record.requestClientID, sessions.values.contains(where: {
                    $0.requestClientID == clientID && $0.customer.organizationID == record.customer.organizationID
                        && $0.customer.contactID == record.customer.contactID
                }) {
                    return .failure(.init("request \(clientID) of \(record.customer.contactID) made a second chat \(record.id)"))
                }
                sessions[record.id] = record
            case .updateSession(let record):
                guard sessions[record.id] != nil else { return .failure(.init("update of unknown session \(record.id)")) }
                sessions[record.id] = record
            case .appendEvent(let event):
                var list = events[event.sessionID] ?? []
                let expected = (list.last?.seq ?? 0) + 1
                if event.seq != expected {
                    return .failure(.init("session \(event.sessionID): stored seq \(event.seq) after \(expected - 1) (gap or duplicate)"))
                }
                if let clientID = event.clientMessageID, list.contains(where: {
                    $0.clientMessageID == clientID && AuthorKey($0.author) == AuthorKey(event.author)
                }) {
                    return .failure(.init("session \(event.sessionID): client id \(clientID) of \(event.author.id) stored twice"))
                }
                list.append(event)
                events[event.sessionID] = list
                seqs[event.sessionID] = event.seq
            case let .registerContact(org, contact):
                contacts[org, default: []].insert(contact)
            case let .readMarker(id, role, seq):
                readMarkers[id, default: [:]][role] = max(readMarkers[id]?[role] ?? 0, seq)
            case .recordServiceOrder(let order):
                serviceOrders.append(order)
            case let .staffStatus(id, status):
                staffStatus[id] = status
            case .abandonSession(let id):
                if (events[id] ?? []).isEmpty { sessions[id] = nil }
            }
        }
        return .success(CommitReceipt(committedSeqs: seqs, batchSize: batch.count, duration: 0))
    }

    func lastSeq(_ id: SessionID) -> Seq { events[id]?.last?.seq ?? 0 }

    func stored(_ id: SessionID) -> StoredSession? {
        guard let record = sessions[id] else { return nil }
        let handled = Set((events[id] ?? []).compactMap { $0.kind == .joined || $0.kind == .transferred ? $0.agent?.id : nil })
        return StoredSession(record: record, lastSeq: lastSeq(id), customerReadSeq: readMarkers[id]?[.customer] ?? 0,
                             agentReadSeq: readMarkers[id]?[.agent] ?? 0, handledBy: handled)
    }

    func request(_ key: ChatRequestKey) -> (StoredSession, SessionEvent?)? {
        guard let record = sessions.values.first(where: {
            $0.requestClientID == key.clientID && $0.customer.organizationID == key.organizationID
                && $0.customer.contactID == key.contactID
        }), let session = stored(record.id) else { return nil }
        return (session, events[record.id]?.first)
    }

    func event(_ id: SessionID, _ key: ClientMessageKey) -> SessionEvent? {
        events[id]?.first { $0.clientMessageID == key.clientID && AuthorKey($0.author) == key.author }
    }

    /// A ticket for this request: the existing one for its key, else a new one.
    mutating func createTicket(_ request: TicketRequest) -> Int64 {
        if let key = request.requestKey, let existing = tickets.first(where: { $0.value.key == key }) {
            return existing.key
        }
        let number = nextTicket
        nextTicket += 1
        tickets[number] = (request, request.requestKey)
        return number
    }

    /// What `ChatStore.recoverState` reads after a crash (open sessions without any event are removed first).
    mutating func recovered(tailSize: Int, organizations: [OrganizationRecord], staff: [StaffIdentity]) -> RecoveredState {
        for (id, record) in sessions where record.state != .closed && (events[id] ?? []).isEmpty { sessions[id] = nil }
        var open: [RecoveredSession] = []
        for (id, record) in sessions.sorted(by: { $0.key < $1.key }) where record.state != .closed {
            let list = events[id] ?? []
            var ids: [ClientMessageKey: Seq] = [:]
            for event in list { if let c = event.clientMessageID { ids[ClientMessageKey(author: AuthorKey(event.author), clientID: c)] = event.seq } }
            open.append(RecoveredSession(record: record, lastSeq: lastSeq(id), tail: Array(list.suffix(tailSize)),
                                         clientMessageIDs: ids, customerReadSeq: readMarkers[id]?[.customer] ?? 0,
                                         agentReadSeq: readMarkers[id]?[.agent] ?? 0))
        }
        let openOrgs = Set(open.map(\.record.organizationID))
        let orgs = organizations.filter { openOrgs.contains($0.id) }.map { org -> OrganizationRecord in
            var org = org
            org.authorizedContacts.formUnion(contacts[org.id] ?? [])
            return org
        }
        let recoveredStaff = staff.compactMap { identity in staffStatus[identity.id].map { RecoveredStaff(identity: identity, status: $0) } }
        return RecoveredState(nextSessionID: (sessions.keys.max() ?? 0) + 1, openSessions: open, organizations: orgs,
                              staff: recoveredStaff)
    }
}

/// An invariant that did not hold.
struct ModelViolation: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
