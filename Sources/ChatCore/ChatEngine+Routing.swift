import Foundation

extension ChatEngine {
    /// Assigns queued sessions, front first, while some agent can take one.
    /// The agent chosen is available, connected, under the cap, with the fewest active sessions;
    /// among equals, the one who least recently received a session (then the lowest id).
    /// Sessions whose region is closed (or being converted) wait without blocking the others.
    /// Runs at the end of every step in which something it depends on changed (`routingNeeded`).
    func routeQueue() {
        let now = clock.now()
        var index = 0
        while index < queue.count {
            guard let agent = nextAgent() else { return }
            let id = queue[index]
            guard mayRoute(id, at: now) else { index += 1; continue }
            assign(id, to: agent, author: nil)   // removes `id` from the queue
        }
    }

    /// Whether a staff member can receive a chat now (routing, and the target of a transfer): connected, not in a
    /// grace period, available, under the cap. Routing also requires the agent role.
    func canReceive(_ member: StaffMember) -> Bool {
        member.status == .available && member.isConnected && member.graceDeadline == nil
            && member.active.count < config.agentSessionCap
    }

    private func nextAgent() -> StaffID? {
        staff.values
            .filter { $0.identity.role == .agent && canReceive($0) }
            .min { ($0.active.count, $0.lastAssignedAt, $0.identity.id) < ($1.active.count, $1.lastAssignedAt, $1.identity.id) }?
            .identity.id
    }

    /// Moves a queued session to an agent: `joined` event, storage update, the agent's connections follow it.
    private func assign(_ id: SessionID, to agentID: StaffID, author: Participant?) {
        guard let live = sessions[id], var member = staff[agentID] else { return }
        queue.removeAll { $0 == id }
        live.record.state = .active
        live.record.agent = member.ref
        live.record.waitOffer = .none
        live.announcedPosition = nil
        live.record.budget.run(at: clock.now())
        changedSessions.insert(id)
        member.active.append(id)
        member.lastAssignedAt = clock.now()
        staff[agentID] = member
        append(id, kind: .joined, author: author ?? member.participant,
               text: "\(member.identity.name) joined the chat.", agent: member.ref)
        out.persist(.updateSession(live.record))
        for connection in member.connections.sorted() { subscribe(connection, to: id, afterSeq: 0) }
        announceBudget(id)
        boardChanged = true
    }

    func setStatus(_ connection: ConnectionID, _ principal: Principal, _ status: AgentStatus) {
        guard case .staff(let identity) = principal, var member = staff[identity.id] else {
            return refuse(connection, .forbidden, "Only staff have a status.")
        }
        member.status = status
        staff[identity.id] = member
        out.persist(.staffStatus(identity.id, status))
        out.send(Array(member.connections).sorted(), .status(status))
        if status == .offline && !member.active.isEmpty {
            // Offline means gone for good: nobody would answer these chats, so they go back to the queue's front.
            requeueAll(of: identity.id, reason: "agent_offline", status: .offline)
        }
        boardChanged = true
        routingNeeded = true
    }

    func take(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID) {
        guard case .staff(let identity) = principal, let member = staff[identity.id] else {
            return refuse(connection, .forbidden, "Only staff can take a chat.")
        }
        // Staff see every chat's state on the boards, so `take` answers with the state, not an access refusal.
        guard let live = sessions[id] else { return lookUpStoredSession(connection, id, resend: nil, ref: nil) }
        if live.record.state == .active, identity.role == .supervisor, let current = live.record.agent,
           current.id != identity.id {
            // A supervisor takes over an active chat: it moves to them, as a transfer they made to themselves.
            guard member.active.count < config.agentSessionCap else {
                return refuse(connection, .atCapacity, "You already have \(member.active.count) chats, the most allowed.")
            }
            return move(id, from: current, to: identity.id, actor: member.participant,
                        text: "\(identity.name) took over the chat from \(current.name).")
        }
        guard live.record.state == .queued else {
            return refuse(connection, .sessionNotQueued, "Chat \(id) is not waiting in the queue.")
        }
        guard live.record.budget.stage != .converting else {
            return refuse(connection, .conversionInProgress, "Chat \(id) is being turned into a ticket.")
        }
        guard member.active.count < config.agentSessionCap else {
            return refuse(connection, .atCapacity, "You already have \(member.active.count) chats, the most allowed.")
        }
        assign(id, to: identity.id, author: nil)
    }

    func transfer(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, to target: StaffID) {
        guard case .staff(let actor) = principal else {
            return refuse(connection, .forbidden, "Only staff can transfer a chat.")
        }
        guard let live = openSession(connection, principal, id) else { return }
        let assigning = live.record.state == .queued && actor.role == .supervisor
        guard assigning || live.record.state == .active, assigning || live.record.agent?.id == actor.id
                || actor.role == .supervisor else {
            return refuse(connection, .notYourSession, "Chat \(id) is not assigned to you.")
        }
        guard target != live.record.agent?.id else {
            return refuse(connection, .invalidField, "Chat \(id) is already with that agent.")
        }
        // Only to someone who can answer now: connected, available, not reconnecting, under the cap. Anyone else
        // (unknown, away, offline, gone) would strand the chat. A supervisor assigning a queued chat may also pick
        // an agent who is Away (out of routing, still at the console): routing already gives queued chats to
        // available agents, so choosing one who is not is the point of assigning.
        let mayReceive: (StaffMember) -> Bool = { member in
            self.canReceive(member) || assigning && member.status == .away && member.isConnected
                && member.graceDeadline == nil && member.active.count < self.config.agentSessionCap
        }
        guard let receiver = staff[target], mayReceive(receiver) else {
            let name = staff[target]?.identity.name ?? "Staff member \(target)"
            if let member = staff[target], member.status == .available, member.isConnected, member.graceDeadline == nil {
                return refuse(connection, .atCapacity, "\(name) already has the most chats allowed.")
            }
            return refuse(connection, .agentUnavailable, "\(name) is not available (connected and Available) right now.")
        }
        let actorParticipant = staff[actor.id]?.participant
            ?? Participant(role: actor.role == .supervisor ? .supervisor : .agent, id: String(actor.id), name: actor.name)
        guard let current = live.record.agent else {
            // A supervisor assigns a queued chat to a chosen agent.
            guard live.record.budget.stage != .converting else {
                return refuse(connection, .conversionInProgress, "Chat \(id) is being turned into a ticket.")
            }
            assign(id, to: target, author: actorParticipant)
            routingNeeded = true
            return
        }
        let text = actor.id == current.id
            ? "\(current.name) transferred the chat to \(receiver.identity.name)."
            : "\(actorParticipant.name) transferred the chat from \(current.name) to \(receiver.identity.name)."
        move(id, from: current, to: target, actor: actorParticipant, text: text)
    }

    /// Moves an active chat from its agent to another staff member (a transfer, or a supervisor's takeover):
    /// `transferred` event by `actor`, storage update, the receiver's connections follow it.
    private func move(_ id: SessionID, from current: StaffRef, to target: StaffID, actor: Participant, text: String) {
        guard let live = sessions[id], var receiver = staff[target] else { return }
        if var giver = staff[current.id] {
            giver.active.removeAll { $0 == id }
            if giver.active.isEmpty { giver.graceDeadline = nil }
            staff[current.id] = giver
        }
        live.record.agent = receiver.ref
        changedSessions.insert(id)
        receiver.active.append(id)
        receiver.lastAssignedAt = clock.now()
        staff[target] = receiver
        append(id, kind: .transferred, author: actor, text: text, agent: receiver.ref)
        out.persist(.updateSession(live.record))
        for connection in receiver.connections.sorted() { subscribe(connection, to: id, afterSeq: 0) }
        boardChanged = true
        routingNeeded = true
    }

    func close(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID) {
        guard let live = openSession(connection, principal, id) else { return }
        let author: Participant
        if let writer = writer(principal, live.record) {
            author = writer
        } else if case .staff(let identity) = principal, identity.role == .supervisor {
            author = Participant(role: .supervisor, id: String(identity.id), name: identity.name)
        } else {
            return refuse(connection, .notYourSession, "You cannot close chat \(id).")
        }
        closeSession(id, author: author, reason: author.role.rawValue)
    }

    /// Ends a session: `closed` event, storage update, capacity freed for the queue.
    func closeSession(_ id: SessionID, author: Participant, reason: String) {
        guard let live = sessions[id], live.record.state != .closed else { return }
        let now = clock.now()
        queue.removeAll { $0 == id }
        if let agent = live.record.agent, var member = staff[agent.id] {
            member.active.removeAll { $0 == id }
            if member.active.isEmpty { member.graceDeadline = nil }
            staff[agent.id] = member
        }
        live.record.state = .closed
        live.record.closedAt = now
        live.record.budget.pause(at: now)
        live.announcedPosition = nil
        changedSessions.insert(id)
        append(id, kind: .closed, author: author, text: "\(author.name) closed the chat.", reason: reason)
        out.persist(.updateSession(live.record))
        boardChanged = true
        routingNeeded = true
    }
}
