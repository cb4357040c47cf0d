import Foundation

/// The chat domain: sessions, the queue, routing, eligibility and the delivery contract.
///
/// Threading: not thread-safe. Every method must be called from one thread (the server's lws service thread);
/// the engine does no I/O. It answers each call with `Effect`s that the caller carries out in order.
///
/// Delivery contract: every session event gets the next per-session seq and a `.persist` write; it is sent to
/// anyone only after `committed(_:)` reports it durable, in seq order, exactly once per following connection.
public final class ChatEngine {
    public let policy: SupportPolicy
    public let config: EngineConfig
    let clock: any WallClock

    var nextSessionID: SessionID
    var sessions: [SessionID: LiveSession] = [:]
    /// Queued sessions, front first.
    var queue: [SessionID] = []
    var connections: [ConnectionID: ConnectionState] = [:]
    var staff: [StaffID: StaffMember] = [:]
    var organizations: [OrganizationID: OrganizationRecord] = [:]
    /// Chat requests of sessions in memory. Storage holds the ledger of all of them (closed ones included):
    /// a request whose key is not here is looked up there (`Effect.findChatRequest`) before a chat is created.
    var requests: [ChatRequestKey: SessionID] = [:]
    /// Requests waiting for `chatRequestFound`, in arrival order, by key: resends that arrive meanwhile join.
    var requestLookups: [ChatRequestKey: [PendingChatRequest]] = [:]
    /// Replays of chats that are not in memory (closed), by connection: the seq delivered so far.
    var storedReplays: [ConnectionID: [SessionID: StoredReplay]] = [:]
    /// Set when something routing depends on changed (queue, availability, load, hours, organizations);
    /// the queue is routed at the end of the step.
    var routingNeeded = false
    /// Set when queue or agent loads changed; staff are told at the end of a call, at most once per board interval.
    var boardChanged = false
    /// When the staff board was last broadcast, and when a deferred broadcast is due.
    var lastBoardAt = Date.distantPast
    var boardDue: Date?
    /// Staff connections that got the board directly during this call (newcomers); the broadcast skips them.
    var boardSentThisStep: Set<ConnectionID> = []
    /// Sessions whose summary changed during a call (state, agent, budget); supervisors are told at its end.
    var changedSessions: Set<SessionID> = []
    /// Set when something that moves a deadline changed; `nextDeadline` is recomputed only then.
    var deadlinesChanged = true
    var cachedDeadline: Date?
    /// Support calendars by region id, built once from the policy.
    let calendars: [String: SupportCalendar]
    /// Tickets asked for and not yet created, by request id.
    var pendingTickets: [UInt64: PendingTicket] = [:]
    var nextTicketRequestID: UInt64 = 1
    /// Urgent requests outside hours in flight, so resends never open a second ticket (storage dedups across
    /// restarts by the same key).
    var urgentRequests = UrgentRequestLedger()
    var out = EffectSink()

    public init(policy: SupportPolicy, config: EngineConfig, clock: any WallClock, recovered: RecoveredState = .empty) {
        self.policy = policy
        self.config = config
        self.clock = clock
        self.nextSessionID = recovered.nextSessionID
        var calendars: [String: SupportCalendar] = [:]
        for region in policy.regions {
            // The policy loader validated every region; one that still fails simply has no hours enforced.
            if let calendar = try? SupportCalendar(region: region) { calendars[region.id] = calendar }
        }
        self.calendars = calendars
        restore(recovered)
    }

    /// Rebuilds everything the engine decides from: open sessions with their tails, client ids and read markers,
    /// the queue in its order, agents' loads and availability (with a grace period to reconnect), organizations.
    private func restore(_ recovered: RecoveredState) {
        let now = clock.now()
        for organization in recovered.organizations { organizations[organization.id] = organization }
        for item in recovered.staff {
            var member = StaffMember(identity: item.identity)
            member.status = item.status
            staff[item.identity.id] = member
        }
        for item in recovered.openSessions {
            let live = LiveSession(record: item.record, lastSeq: item.lastSeq,
                                   tail: Array(item.tail.suffix(config.tailSize)), clientIDs: item.clientMessageIDs,
                                   customerReadSeq: item.customerReadSeq, agentReadSeq: item.agentReadSeq)
            if item.record.state == .active, let agent = item.record.agent {
                var member = staff[agent.id] ?? StaffMember(
                    identity: StaffIdentity(id: agent.id, username: "", name: agent.name, role: .agent))
                member.active.append(item.record.id)
                member.graceDeadline = now.addingTimeInterval(config.agentGraceSeconds)
                staff[agent.id] = member
            }
            if let clientID = item.record.requestClientID {
                requests[ChatRequestKey(item.record.customer, clientID: clientID)] = item.record.id
            }
            live.announcedPosition = nil
            sessions[item.record.id] = live
        }
        queue = recovered.openSessions
            .filter { $0.record.state == .queued }
            .sorted { ($0.record.queuedAt ?? $0.record.createdAt, $0.record.id) < ($1.record.queuedAt ?? $1.record.createdAt, $1.record.id) }
            .map(\.record.id)
        routingNeeded = true
    }

    /// Runs one engine step and returns what it decided.
    func step(_ body: () -> Void) -> [Effect] {
        body()
        finishStep()
        return out.drain()
    }

    // MARK: Entry points (engine thread only)

    /// A connection has authenticated. `organization` is the customer's organization as just read from storage.
    public func connect(_ connection: ConnectionID, as principal: Principal, organization: OrganizationRecord? = nil) -> [Effect] {
        step { handleConnect(connection, principal, organization) }
    }

    /// A connection is gone (closed by either side).
    public func disconnect(_ connection: ConnectionID) -> [Effect] {
        step { handleDisconnect(connection) }
    }

    /// A request from an authenticated connection.
    public func handle(_ command: ClientCommand, from connection: ConnectionID) -> [Effect] {
        step {
            guard let principal = connections[connection]?.principal else {
                out.send(connection, .error(ChatError(.notAuthenticated, "Say hello with a token first."), ref: nil))
                return
            }
            dispatch(command, from: connection, principal: principal)
        }
    }

    /// Storage made these events durable: acknowledge and deliver them.
    public func committed(_ receipt: CommitReceipt) -> [Effect] {
        step { handleCommit(receipt) }
    }

    /// The answer to a `.loadHistory` effect: one page of stored events after `afterSeq`.
    public func historyLoaded(_ connection: ConnectionID, sessionID: SessionID, afterSeq: Seq,
                              page: HistoryPage) -> [Effect] {
        step { handleHistory(connection, sessionID, afterSeq, page) }
    }

    /// The answer to a `.findChatRequest` effect: the stored chat that request created (with its first event),
    /// or nil when there is none.
    public func chatRequestFound(_ key: ChatRequestKey, session: StoredSession?, firstEvent: SessionEvent?) -> [Effect] {
        step { handleChatRequestFound(key, session: session, firstEvent: firstEvent) }
    }

    /// The answer to a `.continueSessionList` effect: the connection has drained; send the next page.
    public func sessionListContinued(_ connection: ConnectionID, afterSessionID: SessionID) -> [Effect] {
        step { sendSessionList(connection, after: afterSessionID) }
    }

    /// A `.findChatRequest` could not be answered (storage failed or is overloaded): every request waiting on it
    /// is refused `server_busy` and may be resent.
    public func chatRequestLookupFailed(_ key: ChatRequestKey) -> [Effect] {
        step {
            for request in requestLookups.removeValue(forKey: key) ?? [] where connections[request.connection] != nil {
                refuse(request.connection, .serverBusy, "The server is busy; resend the request shortly.", ref: key.clientID)
            }
        }
    }

    /// The answer to a `.findSession` effect (echoing its `resend`): the stored session (nil: no such session)
    /// and, for a resend, the event stored under that key (nil: none).
    public func sessionFound(_ connection: ConnectionID, sessionID: SessionID, resend: ClientMessageKey?,
                             session: StoredSession?, resent: SessionEvent?) -> [Effect] {
        step { handleSessionFound(connection, sessionID, resend: resend, session: session, resent: resent) }
    }

    /// The earliest time at which `advance()` has work to do (nil: none scheduled): a grace period ending,
    /// a budget warning or expiry, a region opening for chats waiting in the queue, a long-wait offer.
    public var nextDeadline: Date? {
        if deadlinesChanged {
            let now = clock.now()
            let grace = staff.values.compactMap(\.graceDeadline).min()
            let budgets = sessions.values.lazy.filter { $0.record.state == .active }
                .compactMap { $0.record.budget.nextDeadline(warningSeconds: self.warningSeconds) }.min()
            cachedDeadline = [grace, budgets, queueOpeningDeadline(now: now), nextWaitOfferDeadline(), boardDue]
                .compactMap { $0 }.min()
            deadlinesChanged = false
        }
        return cachedDeadline
    }

    /// Carries out everything due at the clock's current time: grace periods, budget warnings and offers,
    /// routing when a region opens.
    public func advance() -> [Effect] {
        step {
            deadlinesChanged = true
            handleDeadlines(now: clock.now())
        }
    }

    /// The answer to a `.createTicket` effect: the ticket exists with this number.
    public func ticketCreated(requestID: UInt64, number: Int64, onCallNotified: Bool) -> [Effect] {
        step { handleTicketCreated(requestID, number: number, onCallNotified: onCallNotified) }
    }

    /// The answer to a `.createTicket` effect when storage failed.
    public func ticketCreationFailed(requestID: UInt64, message: String) -> [Effect] {
        step { handleTicketFailed(requestID, message: message) }
    }

    // MARK: Introspection (engine thread only; for the service's metrics and tests)

    public var queuedSessionIDs: [SessionID] { queue }
    public var openSessionCount: Int { sessions.count }
    public func sessionRecord(_ id: SessionID) -> ChatSessionRecord? { sessions[id]?.record }
    public func activeSessions(of agent: StaffID) -> [SessionID] { staff[agent]?.active ?? [] }
    public func status(of agent: StaffID) -> AgentStatus? { staff[agent]?.status }
    /// The principal of an authenticated connection.
    public func principal(of connection: ConnectionID) -> Principal? { connections[connection]?.principal }

    private func dispatch(_ command: ClientCommand, from connection: ConnectionID, principal: Principal) {
        switch command {
        case let .requestChat(productID, subject, firstMessage, clientID, urgent, timeZone):
            requestChat(connection, principal, productID: productID, subject: subject, text: firstMessage, clientID: clientID,
                        urgent: urgent, timeZone: timeZone)
        case let .sendMessage(sessionID, clientID, text):
            sendMessage(connection, principal, sessionID, clientID: clientID, text: text)
        case let .addNote(sessionID, clientID, text):
            sendMessage(connection, principal, sessionID, clientID: clientID, text: text, kind: .note)
        case let .typing(sessionID, active):
            relayTyping(connection, principal, sessionID, active: active)
        case let .markRead(sessionID, seq):
            markRead(connection, principal, sessionID, seq: seq)
        case let .sync(sessionID, afterSeq):
            sync(connection, principal, sessionID, afterSeq: afterSeq)
        case let .setStatus(status):
            setStatus(connection, principal, status)
        case let .take(sessionID):
            take(connection, principal, sessionID)
        case let .transfer(sessionID, toAgent):
            transfer(connection, principal, sessionID, to: toAgent)
        case let .close(sessionID):
            close(connection, principal, sessionID)
        case let .respondToOffer(sessionID, accept):
            respondToOffer(connection, principal, sessionID, accept: accept)
        case let .continueChat(sessionID):
            continueChat(connection, principal, sessionID)
        case let .convert(sessionID, category, severity, urgent):
            convert(connection, principal, sessionID, category: category, severity: severity, urgent: urgent)
        case let .proposeServices(sessionID, rateID, description, estimateHours):
            proposeServices(connection, principal, sessionID, rateID: rateID, description: description, estimateHours: estimateHours)
        case let .respondToServices(sessionID, accept):
            respondToServices(connection, principal, sessionID, accept: accept)
        }
    }

    func refuse(_ connection: ConnectionID, _ code: ChatErrorCode, _ message: String, ref: String? = nil,
                alternative: String? = nil) {
        out.send(connection, .error(ChatError(code, message, alternative: alternative), ref: ref))
    }
}
