import Foundation
import XCTest
@testable import ChatCore

/// Drives a `ChatEngine` with a manual clock, records every effect, and plays the storage role:
/// `commitAll()` reports every persisted event not yet committed as durable.
final class EngineHarness {
    let clock: ManualClock
    let engine: ChatEngine
    /// Every effect, in order, across all calls.
    private(set) var effects: [Effect] = []
    /// Effects of the most recent call only.
    private(set) var last: [Effect] = []
    /// Every write persisted so far, in order.
    private(set) var writes: [StorageWrite] = []
    /// Highest seq per session already reported as committed by `commitAll`.
    private(set) var committedUpTo: [SessionID: Seq] = [:]
    private var nextConnection: ConnectionID = 100

    /// `throttleBoard`: keep the config's board interval; by default boards are broadcast at once so that tests
    /// about other things see them without moving the clock.
    init(config: EngineConfig = EngineConfig(), policy: SupportPolicy = .defaults,
         recovered: RecoveredState = .empty, clock: ManualClock = ManualClock(), throttleBoard: Bool = false) {
        self.clock = clock
        var config = config
        if !throttleBoard { config.boardIntervalSeconds = 0 }
        self.engine = ChatEngine(policy: policy, config: config, clock: clock, recovered: recovered)
        for item in recovered.openSessions { committedUpTo[item.record.id] = item.lastSeq }
    }

    // MARK: Recording

    /// Answer `.findChatRequest` and `.findSession` at once from what was written (storage's role). Tests of
    /// the lookups themselves turn it off and answer by hand.
    var answersLookups = true

    @discardableResult
    func record(_ produced: [Effect]) -> [Effect] {
        last = produced
        effects += produced
        for effect in produced {
            if case .persist(let batch) = effect { writes += batch }
        }
        guard answersLookups else { return produced }
        var all = produced
        for effect in produced {
            switch effect {
            case .findChatRequest(let key):
                let found = storedRequest(key)
                all += record(engine.chatRequestFound(key, session: found?.0, firstEvent: found?.1))
            case let .findSession(connection, id, resend):
                let session = storedSession(id)
                let resent = resend.flatMap { key in
                    committedEvents(of: id).first {
                        $0.clientMessageID == key.clientID && AuthorKey($0.author) == key.author
                    }
                }
                all += record(engine.sessionFound(connection, sessionID: id, resend: resend, session: session,
                                                  resent: session == nil ? nil : resent))
            default:
                break
            }
        }
        last = all
        return all
    }

    // MARK: Storage as written

    /// The latest stored row of a session (create or update), as storage would return it.
    func storedRecord(_ id: SessionID) -> ChatSessionRecord? {
        var latest: ChatSessionRecord?
        for write in writes {
            switch write {
            case .createSession(let record) where record.id == id: latest = record
            case .updateSession(let record) where record.id == id: latest = record
            default: break
            }
        }
        return latest
    }

    func committedEvents(of id: SessionID) -> [SessionEvent] {
        events(of: id).filter { $0.seq <= (committedUpTo[id] ?? 0) }
    }

    func storedSession(_ id: SessionID) -> StoredSession? {
        guard let record = storedRecord(id) else { return nil }
        let events = committedEvents(of: id)
        return StoredSession(record: record, lastSeq: events.last?.seq ?? 0,
                             handledBy: Set(events.compactMap { $0.kind == .joined || $0.kind == .transferred ? $0.agent?.id : nil }))
    }

    func storedRequest(_ key: ChatRequestKey) -> (StoredSession, SessionEvent?)? {
        for write in writes {
            guard case .createSession(let record) = write, record.requestClientID == key.clientID,
                  record.customer.organizationID == key.organizationID, record.customer.contactID == key.contactID,
                  let session = storedSession(record.id) else { continue }
            return (session, committedEvents(of: record.id).first { $0.seq == 1 })
        }
        return nil
    }

    /// Marks the current end of the effect log; `since(mark)` gives what came after.
    var mark: Int { effects.count }
    func since(_ mark: Int) -> [Effect] { Array(effects[mark...]) }

    // MARK: Entry points

    func newConnection() -> ConnectionID {
        nextConnection += 1
        return nextConnection
    }

    @discardableResult
    func connect(_ principal: Principal, org: OrganizationRecord? = nil, as connection: ConnectionID? = nil) -> ConnectionID {
        let id = connection ?? newConnection()
        record(engine.connect(id, as: principal, organization: org))
        return id
    }

    @discardableResult
    func connectCustomer(_ customer: CustomerIdentity, org: OrganizationRecord?) -> ConnectionID {
        connect(.customer(customer), org: org)
    }

    /// Connects an agent and (by default) sets it available.
    @discardableResult
    func connectAgent(_ agent: StaffIdentity, available: Bool = true) -> ConnectionID {
        let connection = connect(.staff(agent))
        if available { send(.setStatus(.available), from: connection) }
        return connection
    }

    @discardableResult
    func send(_ command: ClientCommand, from connection: ConnectionID) -> [Effect] {
        record(engine.handle(command, from: connection))
    }

    @discardableResult
    func disconnect(_ connection: ConnectionID) -> [Effect] { record(engine.disconnect(connection)) }

    @discardableResult
    func advance(by seconds: TimeInterval) -> [Effect] {
        clock.advance(by: seconds)
        return record(engine.advance())
    }

    @discardableResult
    func historyLoaded(_ connection: ConnectionID, sessionID: SessionID, afterSeq: Seq,
                       record sessionRecord: ChatSessionRecord?, events: [SessionEvent]) -> [Effect] {
        let page = HistoryPage(session: sessionRecord.map { StoredSession(record: $0, lastSeq: events.last?.seq ?? afterSeq) },
                               events: events.filter { $0.seq > afterSeq }, isLast: true)
        return record(engine.historyLoaded(connection, sessionID: sessionID, afterSeq: afterSeq, page: page))
    }

    // MARK: Storage role

    /// Every appended event persisted so far (committed or not), in order.
    var appendedEvents: [SessionEvent] {
        writes.compactMap { if case .appendEvent(let event) = $0 { return event } else { return nil } }
    }

    func events(of session: SessionID) -> [SessionEvent] { appendedEvents.filter { $0.sessionID == session } }

    /// Events persisted but not yet reported committed.
    var uncommitted: [SessionEvent] {
        appendedEvents.filter { $0.seq > (committedUpTo[$0.sessionID] ?? 0) }
    }

    /// Reports every persisted, uncommitted event as durable (one receipt).
    @discardableResult
    func commitAll() -> [Effect] {
        var seqs: [SessionID: Seq] = [:]
        for event in uncommitted { seqs[event.sessionID] = max(seqs[event.sessionID] ?? 0, event.seq) }
        return commit(seqs)
    }

    /// Reports these sessions committed up to these seqs.
    @discardableResult
    func commit(_ seqs: [SessionID: Seq]) -> [Effect] {
        for (id, seq) in seqs { committedUpTo[id] = max(committedUpTo[id] ?? 0, seq) }
        let batch = writes.count
        return record(engine.committed(CommitReceipt(committedSeqs: seqs, batchSize: batch, duration: 0.001)))
    }

    // MARK: Reading what was sent

    static func messages(to connection: ConnectionID, in effects: [Effect]) -> [ServerMessage] {
        effects.compactMap { effect in
            if case .send(let targets, let message) = effect, targets.contains(connection) { return message }
            return nil
        }
    }

    func messages(to connection: ConnectionID, since mark: Int = 0) -> [ServerMessage] {
        Self.messages(to: connection, in: since(mark))
    }

    /// Messages to a connection that concern one session (events, acks, sessions, positions, synced, typing, read).
    func sessionMessages(to connection: ConnectionID, session: SessionID, since mark: Int = 0) -> [ServerMessage] {
        messages(to: connection, since: mark).filter { $0.sessionID == session }
    }

    func events(to connection: ConnectionID, since mark: Int = 0) -> [SessionEvent] {
        messages(to: connection, since: mark).compactMap { if case .event(let e) = $0 { return e } else { return nil } }
    }

    func events(to connection: ConnectionID, session: SessionID, since mark: Int = 0) -> [SessionEvent] {
        events(to: connection, since: mark).filter { $0.sessionID == session }
    }

    struct Ack: Equatable {
        var clientID: String
        var sessionID: SessionID
        var seq: Seq
        var at: Date
    }

    func acks(to connection: ConnectionID, since mark: Int = 0) -> [Ack] {
        messages(to: connection, since: mark).compactMap {
            if case let .ack(clientID, sessionID, seq, at) = $0 {
                return Ack(clientID: clientID, sessionID: sessionID, seq: seq, at: at)
            }
            return nil
        }
    }

    func errors(to connection: ConnectionID, since mark: Int = 0) -> [ChatError] {
        messages(to: connection, since: mark).compactMap { if case .error(let e, _) = $0 { return e } else { return nil } }
    }

    func errorCodes(to connection: ConnectionID, since mark: Int = 0) -> [ChatErrorCode] {
        errors(to: connection, since: mark).map(\.code)
    }

    func errorRefs(to connection: ConnectionID, since mark: Int = 0) -> [String?] {
        messages(to: connection, since: mark).compactMap { if case .error(_, let ref) = $0 { return ref } else { return nil } }
    }

    func queuePositions(to connection: ConnectionID, session: SessionID? = nil, since mark: Int = 0) -> [Int] {
        messages(to: connection, since: mark).compactMap {
            if case let .queuePosition(id, position, _) = $0, session == nil || id == session { return position }
            return nil
        }
    }

    func summaries(to connection: ConnectionID, since mark: Int = 0) -> [SessionSummary] {
        messages(to: connection, since: mark).compactMap { if case .session(let s) = $0 { return s } else { return nil } }
    }

    func synced(to connection: ConnectionID, since mark: Int = 0) -> [(SessionID, Seq)] {
        messages(to: connection, since: mark).compactMap {
            if case let .synced(id, seq) = $0 { return (id, seq) }
            return nil
        }
    }

    func loadHistoryEffects(since mark: Int = 0) -> [(ConnectionID, SessionID, Seq)] {
        since(mark).compactMap {
            if case let .loadHistory(c, s, a) = $0 { return (c, s, a) }
            return nil
        }
    }

    func persisted(since mark: Int = 0) -> [StorageWrite] {
        since(mark).flatMap { if case .persist(let w) = $0 { return w } else { return [] } }
    }

    func persistedEvents(since mark: Int = 0) -> [SessionEvent] {
        persisted(since: mark).compactMap { if case .appendEvent(let e) = $0 { return e } else { return nil } }
    }

    /// Whether any effect since `mark` was sent to `connection`.
    /// The earliest quick-question deadline (warning or expiry) among these sessions.
    func budgetDeadline(of ids: [SessionID]) -> Date? {
        let warning = engine.policy.chat.warningMinutesLeft * 60
        return ids.compactMap { engine.sessionRecord($0)?.budget.nextDeadline(warningSeconds: warning) }.min()
    }

    func anythingSent(to connection: ConnectionID, since mark: Int) -> Bool {
        !messages(to: connection, since: mark).isEmpty
    }

    // MARK: Scenario helpers

    /// A customer requests a chat; returns the new session id (from the createSession write). Does not commit.
    @discardableResult
    func requestChat(_ connection: ConnectionID, product: String = "pressero", subject: String = "Help",
                     text: String = "Hello", clientID: String = UUID().uuidString) -> SessionID? {
        let before = writes.count
        send(.requestChat(productID: product, subject: subject, firstMessage: text, clientID: clientID), from: connection)
        for write in writes[before...] {
            if case .createSession(let record) = write { return record.id }
        }
        return nil
    }

    /// Connects a fresh customer of `org`, requests a chat and commits. Returns (connection, session).
    func openChat(_ customer: CustomerIdentity, org: OrganizationRecord, product: String = "pressero",
                  text: String = "Hello") -> (ConnectionID, SessionID) {
        let connection = connectCustomer(customer, org: org)
        guard let id = requestChat(connection, product: product, text: text) else {
            XCTFail("chat request refused: \(errors(to: connection))")
            return (connection, -1)
        }
        commitAll()
        return (connection, id)
    }
}

extension ServerMessage {
    var sessionID: SessionID? {
        switch self {
        case .event(let e): return e.sessionID
        case .ack(_, let id, _, _): return id
        case .session(let s): return s.record.id
        case .queuePosition(let id, _, _): return id
        case .typing(let id, _, _): return id
        case .read(let id, _, _): return id
        case .synced(let id, _): return id
        case .budget(let status): return status.sessionID
        case .queue, .agents, .status, .error, .ticketCreated, .ticketChanged: return nil
        }
    }
}

// MARK: Fixtures

enum Fixture {
    static func org(_ id: String = "acme", plan: String = "hv", contacts: Set<ContactID> = []) -> OrganizationRecord {
        OrganizationRecord(id: id, name: id.capitalized, planID: plan, authorizedContacts: contacts)
    }

    static func customer(_ contact: String = "alice", org: String = "acme") -> CustomerIdentity {
        CustomerIdentity(organizationID: org, contactID: contact, name: contact.capitalized, email: "\(contact)@\(org).example")
    }

    static func agent(_ id: StaffID, _ name: String? = nil) -> StaffIdentity {
        StaffIdentity(id: id, username: "agent\(id)", name: name ?? "Agent \(id)", role: .agent)
    }

    static func supervisor(_ id: StaffID) -> StaffIdentity {
        StaffIdentity(id: id, username: "sup\(id)", name: "Supervisor \(id)", role: .supervisor)
    }
}
