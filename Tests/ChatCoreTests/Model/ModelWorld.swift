import Foundation
@testable import ChatCore

/// Runs a list of `ModelStep`s against a real `ChatEngine` with the storage, the service's I/O and the clients
/// played by the model, and checks the delivery contract and the policy's invariants after every step.
final class ModelWorld {
    static let config = EngineConfig(agentSessionCap: 2, agentGraceSeconds: 60, tailSize: 4, boardIntervalSeconds: 0,
                                      replayPageSize: 3)
    static let pageSize = 3

    let clock = ManualClock()
    var engine: ChatEngine
    var storage = ModelStorage()
    /// Open connections and whose they are (index into `ModelActors.all`).
    var connections: [ConnectionID: Int] = [:]
    var nextConnection: ConnectionID = 1
    /// I/O the engine asked for that the service has not answered yet.
    var pendingIO: [Effect] = []
    /// Every text each actor sent under a (session, client id); a request's texts are under session 0.
    var sentTexts: [Int: [SessionID: [String: Set<String>]]] = [:]
    /// Highest seq each actor may be sent of each session: the session's last seq at the end of each step in which
    /// the actor could follow it, and of the step in which it stopped being able to.
    var grants: [Int: [SessionID: Seq]] = [:]
    var couldFollow: [Int: Set<SessionID>] = [:]
    /// Seqs each connection received of each session (events and acks), and where its last `sync` started:
    /// a `synced` must come after every event in between.
    var received: [ConnectionID: [SessionID: Set<Seq>]] = [:]
    var syncedFrom: [ConnectionID: [SessionID: Seq]] = [:]
    /// Connections that received an `error`, in order (to tell a refused `sync`).
    var refusedConnections: [ConnectionID] = []
    /// Events sent during the current step, checked against the grants at its end.
    var delivered: [(actor: Int, event: SessionEvent)] = []
    /// The budget each connection was last told for each session (a `budget` frame or a `session` summary).
    var lastBudget: [ConnectionID: [SessionID: BudgetStatus]] = [:]
    var textCounter = 0
    var violation: ModelViolation?

    init() {
        engine = ChatEngine(policy: .defaults, config: Self.config, clock: clock)
    }

    // MARK: Running

    /// Runs the steps; returns the first violation with the index of the step that caused it.
    func run(_ steps: [ModelStep]) -> (index: Int, violation: ModelViolation)? {
        for (index, step) in steps.enumerated() {
            delivered = []
            if Self.trace { print("step \(index): \(step)") }
            perform(step)
            if violation == nil { checkInvariants() }
            if let violation { return (index, violation) }
        }
        return nil
    }

    private func fail(_ message: String) {
        if violation == nil { violation = ModelViolation(message) }
    }

    private func actor(_ connection: ConnectionID) -> ModelActors.Actor? {
        connections[connection].map { ModelActors.all[$0] }
    }

    private func pickConnection(_ pick: UInt64, staff: Bool? = nil) -> ConnectionID? {
        let candidates = connections.keys.sorted().filter { staff == nil || actor($0)!.principal.isStaff == staff }
        return candidates.isEmpty ? nil : candidates[Int(pick % UInt64(candidates.count))]
    }

    private func pickSession(_ pick: UInt64) -> SessionID {
        1 + SessionID(pick % UInt64(max(1, engine.nextSessionID)))
    }

    private func perform(_ step: ModelStep) {
        switch step {
        case .connect(let index):
            let connection = nextConnection
            nextConnection += 1
            connections[connection] = index
            let principal = ModelActors.all[index].principal
            var organization: OrganizationRecord?
            if case .customer(let customer) = principal {
                organization = ModelActors.organizations.first { $0.id == customer.organizationID }.map { org in
                    var org = org
                    org.authorizedContacts = storage.contacts[org.id] ?? []
                    return org
                }
            }
            apply(engine.connect(connection, as: principal, organization: organization))
        case .disconnect(let pick):
            guard let connection = pickConnection(pick) else { return }
            connections[connection] = nil
            apply(engine.disconnect(connection))
        case let .requestChat(index, pick):
            guard let connection = connections.first(where: { $0.value == index }).map(\.key) else { return }
            let clientID = "r-\(pick % 3)"
            textCounter += 1
            let text = "hello \(textCounter)"
            sentTexts[index, default: [:]][0, default: [:]][clientID, default: []].insert(text)
            command(.requestChat(productID: "pressero", subject: "s", firstMessage: text, clientID: clientID), from: connection)
        case let .send(pick, session, clientPick):
            guard let connection = pickConnection(pick) else { return }
            let id = pickSession(session)
            let clientID = ModelActors.clientIDs[Int(clientPick % UInt64(ModelActors.clientIDs.count))]
            textCounter += 1
            let text = "\(ModelActors.all[connections[connection]!].name) says \(textCounter)"
            sentTexts[connections[connection]!, default: [:]][id, default: [:]][clientID, default: []].insert(text)
            // Every fourth send of staff (and of customers, who are refused) is a staff-only note.
            if clientPick % 4 == 3 {
                command(.addNote(sessionID: id, clientID: clientID, text: text), from: connection)
            } else {
                command(.sendMessage(sessionID: id, clientID: clientID, text: text), from: connection)
            }
        case let .sync(pick, session, after):
            guard let connection = pickConnection(pick) else { return }
            let id = pickSession(session)
            // Replays in flight cover later starting points; an earlier one moves the replay back.
            let before = syncedFrom[connection]?[id]
            syncedFrom[connection, default: [:]][id] = min(before ?? .max, Seq(after % 9))
            let mark = refusedConnections.count
            command(.sync(sessionID: id, afterSeq: Seq(after % 9)), from: connection)
            if refusedConnections.dropFirst(mark).contains(connection) { syncedFrom[connection]?[id] = before }
        case let .setStatus(pick, status):
            guard let connection = pickConnection(pick, staff: true) else { return }
            command(.setStatus(ModelActors.statuses[Int(status % 3)]), from: connection)
        case let .take(pick, session):
            guard let connection = pickConnection(pick, staff: true) else { return }
            command(.take(sessionID: pickSession(session)), from: connection)
        case let .transfer(pick, session, target):
            guard let connection = pickConnection(pick, staff: true) else { return }
            command(.transfer(sessionID: pickSession(session), toAgent: ModelActors.staffIDs[Int(target % 5)]), from: connection)
        case let .close(pick, session):
            guard let connection = pickConnection(pick) else { return }
            command(.close(sessionID: pickSession(session)), from: connection)
        case let .respondOffer(pick, session, accept):
            guard let connection = pickConnection(pick, staff: false) else { return }
            command(.respondToOffer(sessionID: pickSession(session), accept: accept), from: connection)
        case let .continueChat(pick, session):
            guard let connection = pickConnection(pick, staff: true) else { return }
            command(.continueChat(sessionID: pickSession(session)), from: connection)
        case let .convert(pick, session):
            guard let connection = pickConnection(pick, staff: true) else { return }
            command(.convert(sessionID: pickSession(session), category: .incident, severity: 2, urgent: false), from: connection)
        case let .proposeServices(pick, session):
            guard let connection = pickConnection(pick, staff: true) else { return }
            command(.proposeServices(sessionID: pickSession(session), rateID: "standard", description: "setup", estimateHours: 1),
                    from: connection)
        case let .respondServices(pick, session, accept):
            guard let connection = pickConnection(pick, staff: false) else { return }
            command(.respondToServices(sessionID: pickSession(session), accept: accept), from: connection)
        case let .typingOrRead(pick, session):
            guard let connection = pickConnection(pick) else { return }
            let id = pickSession(session)
            command(pick % 2 == 0 ? .typing(sessionID: id, active: true) : .markRead(sessionID: id, seq: storage.lastSeq(id)),
                    from: connection)
        case .commit(let count):
            guard !storage.pending.isEmpty else { return }
            switch storage.commit(1 + Int(count % 6)) {
            case .success(let receipt):
                // The writer reports failures as they happen, before the receipt of what did commit.
                if !storage.failed.isEmpty { apply(engine.writesFailed(storage.failed)) }
                apply(engine.committed(receipt))
            case .failure(let violation): fail(violation.description)
            }
        case .doomWrite(let pick):
            // A write that will fail on its own (an injected constraint failure) when its batch commits.
            let candidates = storage.pending.flatMap { $0 }.filter {
                switch $0 { case .appendEvent, .createSession: return true; default: return false }
            }
            guard !candidates.isEmpty else { return }
            storage.doomed.append(candidates[Int(pick % UInt64(candidates.count))])
        case let .answerIO(pick, failIt):
            guard !pendingIO.isEmpty else { return }
            answer(pendingIO.remove(at: Int(pick % UInt64(pendingIO.count))), fail: failIt)
        case .advance(let seconds):
            clock.advance(by: seconds)
            apply(engine.advance())
        case .restart:
            // A crash: uncommitted writes, in-flight I/O and every connection are lost; storage is what is left.
            storage.pending = []
            storage.doomed = []
            storage.brokenFrom = [:]
            pendingIO = []
            connections = [:]
            grants = [:]
            couldFollow = [:]
            lastBudget = [:]
            engine = ChatEngine(policy: .defaults, config: Self.config, clock: clock,
                                recovered: storage.recovered(tailSize: Self.config.tailSize,
                                                             organizations: ModelActors.organizations,
                                                             staff: ModelActors.staff))
            apply(engine.advance())
        }
    }

    private func command(_ command: ClientCommand, from connection: ConnectionID) {
        apply(engine.handle(command, from: connection))
    }

    // MARK: The service's role

    func apply(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case let .send(targets, message):
                for target in targets { receive(message, on: target) }
            case .persist(let writes):
                storage.pending.append(writes)
            case .close(let connection, _, _):
                if connections.removeValue(forKey: connection) != nil { apply(engine.disconnect(connection)) }
            case .loadHistory, .findChatRequest, .findSession, .createTicket, .continueSessionList:
                pendingIO.append(effect)
            case .attachmentAnswered:
                break  // the model makes no uploads (AttachmentEngineTests covers them)
            }
        }
    }

    private func answer(_ effect: Effect, fail failIt: Bool) {
        switch effect {
        case let .loadHistory(connection, id, afterSeq):
            guard let principal = engine.principal(of: connection) else { return }
            let stored = storage.stored(id)
            let inMemory = engine.sessionRecord(id) != nil
            if let stored, !inMemory, !SessionAccess.mayFollow(principal, stored.record, handledBy: stored.handledBy) {
                return apply(engine.historyLoaded(connection, sessionID: id, afterSeq: afterSeq,
                                                  page: HistoryPage(session: stored, events: [], isLast: true)))
            }
            let after = (storage.events[id] ?? []).filter { $0.seq > afterSeq }
            let page = HistoryPage(session: stored, events: Array(after.prefix(Self.pageSize)), isLast: after.count <= Self.pageSize)
            apply(engine.historyLoaded(connection, sessionID: id, afterSeq: afterSeq, page: page))
        case .findChatRequest(let key):
            if failIt { return apply(engine.chatRequestLookupFailed(key)) }
            let found = storage.request(key)
            apply(engine.chatRequestFound(key, session: found?.0, firstEvent: found?.1))
        case let .findSession(connection, id, resend):
            let stored = storage.stored(id)
            let resent = stored == nil ? nil : resend.flatMap { storage.event(id, $0) }
            apply(engine.sessionFound(connection, sessionID: id, resend: resend, session: stored, resent: resent))
        case let .continueSessionList(connection, after):
            guard engine.principal(of: connection) != nil else { return }
            apply(engine.sessionListContinued(connection, afterSessionID: after))
        case .createTicket(let request):
            if failIt { return apply(engine.ticketCreationFailed(requestID: request.id, message: "injected")) }
            let number = storage.createTicket(request)
            apply(engine.ticketCreated(requestID: request.id, number: number, onCallNotified: false))
        default:
            break
        }
    }

    // MARK: The clients' role: what each frame must satisfy when it arrives

    static let trace = ProcessInfo.processInfo.environment["MODEL_TRACE"] != nil

    private func receive(_ message: ServerMessage, on connection: ConnectionID) {
        guard let index = connections[connection] else { return fail("frame to a closed connection \(connection)") }
        if Self.trace { print("  -> #\(connection) \(ModelActors.all[index].name): \(message)") }
        let actor = ModelActors.all[index]
        switch message {
        case .error:
            refusedConnections.append(connection)
        case .budget(let status):
            lastBudget[connection, default: [:]][status.sessionID] = status
        case let .synced(id, lastSeq):
            // Only for a replay this connection asked for (engine-started follows begin where the chat began).
            guard let from = syncedFrom[connection]?[id] else { break }
            syncedFrom[connection]?[id] = nil
            let got = received[connection]?[id] ?? []
            // Staff-only events (notes) are never sent to customers: their seqs are skipped, not missing.
            let withheld = Set((storage.events[id] ?? []).filter { !SessionAccess.mayReceive(actor.principal, $0.kind) }.map(\.seq))
            if from < lastSeq, let missing = (from + 1...lastSeq).first(where: { !got.contains($0) && !withheld.contains($0) }) {
                fail("\(actor.name) got synced s\(id) up to \(lastSeq) without s\(id)#\(missing) (sync after \(from))")
            }
        case .session(let summary):
            lastBudget[connection, default: [:]][summary.record.id] = summary.budget
        case .event(let event):
            guard storage.events[event.sessionID]?.first(where: { $0.seq == event.seq }) == event else {
                return fail("\(actor.name) got s\(event.sessionID)#\(event.seq) before it was stored (or not as stored)")
            }
            if event.kind.audience == .staffOnly && !actor.principal.isStaff {
                return fail("\(actor.name) (a customer) got the staff-only s\(event.sessionID)#\(event.seq) (\(event.kind))")
            }
            delivered.append((index, event))
            received[connection, default: [:]][event.sessionID, default: []].insert(event.seq)
        case let .ack(clientID, id, seq, at):
            guard let stored = storage.events[id]?.first(where: { $0.seq == seq }) else {
                return fail("\(actor.name) got an ack of s\(id)#\(seq) (\(clientID)) before it was stored")
            }
            received[connection, default: [:]][id, default: []].insert(seq)
            let author = authorKey(actor.principal)
            guard stored.clientMessageID == clientID, AuthorKey(stored.author) == author else {
                return fail("\(actor.name) got an ack for \(clientID) confirming \(stored.author.id)'s \(stored.clientMessageID ?? "-") at s\(id)#\(seq)")
            }
            if at != stored.at { return fail("ack of s\(id)#\(seq) carries another time than stored") }
            let bucket: SessionID = stored.kind == .requested ? 0 : id
            guard let text = stored.text, sentTexts[index]?[bucket]?[clientID]?.contains(text) == true else {
                return fail("\(actor.name)'s \(clientID) is stored at s\(id)#\(seq) with a text it never sent: \(stored.text ?? "nil")")
            }
        default:
            break
        }
    }

    private func authorKey(_ principal: Principal) -> AuthorKey {
        switch principal {
        case .customer(let customer): return AuthorKey(role: .customer, id: customer.contactID)
        case .staff(let identity): return AuthorKey(role: identity.role == .supervisor ? .supervisor : .agent, id: String(identity.id))
        }
    }

    // MARK: Invariants after every step

    /// The model's own statement of who may follow a chat (independent of `SessionAccess`): open chats by the
    /// live rule, closed ones (still in memory or not) as transcripts.
    private func mayFollowOpen(_ principal: Principal, _ record: ChatSessionRecord) -> Bool {
        if record.state == .closed, case .staff(let identity) = principal, identity.role == .agent {
            return record.agent?.id == identity.id || record.ticketNumber != nil
                || storage.stored(record.id)?.handledBy.contains(identity.id) == true
        }
        switch principal {
        case .customer(let customer):
            return customer.organizationID == record.organizationID && customer.contactID == record.customer.contactID
        case .staff(let identity):
            return identity.role == .supervisor || record.agent?.id == identity.id || record.state == .queued
        }
    }

    private func mayReadStored(_ principal: Principal, _ id: SessionID) -> Bool {
        guard let stored = storage.stored(id) else { return false }
        switch principal {
        case .customer: return mayFollowOpen(principal, stored.record)
        case .staff(let identity):
            return identity.role == .supervisor || stored.record.agent?.id == identity.id || stored.record.ticketNumber != nil
                || stored.handledBy.contains(identity.id)
        }
    }

    private func checkInvariants() {
        checkAccess()
        checkAssignments()
        checkRouting()
        checkBudgets()
    }

    private func checkAccess() {
        for (index, actor) in ModelActors.all.enumerated() {
            for (id, live) in engine.sessions {
                let allowed = mayFollowOpen(actor.principal, live.record)
                if allowed || couldFollow[index]?.contains(id) == true {
                    grants[index, default: [:]][id] = live.lastSeq
                }
                if allowed { couldFollow[index, default: []].insert(id) } else { couldFollow[index]?.remove(id) }
            }
        }
        for (index, event) in delivered {
            if let grant = grants[index]?[event.sessionID], event.seq <= grant { continue }
            if engine.sessions[event.sessionID] == nil, mayReadStored(ModelActors.all[index].principal, event.sessionID) { continue }
            return fail("\(ModelActors.all[index].name) got s\(event.sessionID)#\(event.seq) (\(event.kind.rawValue)) without the right to read it")
        }
    }

    private func checkAssignments() {
        let queued = engine.sessions.values.filter { $0.record.state == .queued }.map(\.record.id).sorted()
        if engine.queue.sorted() != queued || Set(engine.queue).count != engine.queue.count {
            return fail("queue \(engine.queue) does not hold exactly the queued chats \(queued)")
        }
        for (id, live) in engine.sessions where live.record.state == .active {
            guard let agent = live.record.agent, let member = engine.staff[agent.id] else {
                return fail("active chat \(id) has no known agent")
            }
            if !member.active.contains(id) { return fail("chat \(id) is with \(agent.name), whose load does not count it") }
            if !member.isConnected && member.graceDeadline == nil {
                return fail("chat \(id) is stranded with \(agent.name): not connected and no grace period")
            }
        }
        for member in engine.staff.values {
            if member.active.count > Self.config.agentSessionCap {
                return fail("\(member.identity.name) holds \(member.active.count) chats, over the cap")
            }
            for id in member.active where engine.sessions[id]?.record.agent?.id != member.identity.id
                || engine.sessions[id]?.record.state != .active {
                return fail("\(member.identity.name)'s load lists chat \(id), which is not theirs")
            }
        }
    }

    private func checkRouting() {
        let now = clock.now()
        let free = engine.staff.values.contains {
            $0.identity.role == .agent && $0.status == .available && $0.isConnected && $0.graceDeadline == nil
                && $0.active.count < Self.config.agentSessionCap
        }
        guard free else { return }
        if let stuck = engine.queue.first(where: { engine.mayRoute($0, at: now) }) {
            fail("chat \(stuck) waits in the queue in hours while an available agent has room")
        }
    }

    /// Every follower's idea of a chat's budget (from its last `budget` frame or `session` summary) agrees with
    /// the budget: running or paused, stage, limit.
    private func checkBudgets() {
        // A chat is shown to nobody before its first event is stored (its `session` summary comes then).
        for (id, live) in engine.sessions where live.committedSeq > 0 {
            let budget = live.record.budget
            for connection in live.subscribers.keys {
                guard let last = lastBudget[connection]?[id] else {
                    if budget.isRunning || budget.stage != .notStarted {
                        fail("a follower of chat \(id) was never told its budget (\(budget.stage.rawValue), running \(budget.isRunning))")
                    }
                    continue
                }
                if last.running != budget.isRunning || last.stage != budget.stage || last.limitSeconds != budget.limitSeconds {
                    return fail("chat \(id): a follower was last told running \(last.running) \(last.stage.rawValue), the budget is running \(budget.isRunning) \(budget.stage.rawValue)")
                }
            }
        }
    }
}
