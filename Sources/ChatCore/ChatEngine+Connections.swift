import Foundation

extension ChatEngine {
    func handleConnect(_ connection: ConnectionID, _ principal: Principal, _ organization: OrganizationRecord?) {
        connections[connection] = ConnectionState(principal: principal)
        switch principal {
        case .customer(let customer):
            if let organization { learn(organization) }
            routingNeeded = true   // the organization's region may have changed what may be routed
            for live in sessions.values.sorted(by: { $0.record.id < $1.record.id })
            where live.record.customer.organizationID == customer.organizationID
                && live.record.customer.contactID == customer.contactID && live.committedSeq > 0 {
                out.send(connection, .session(live.summary(at: clock.now())))
                if let position = queuePosition(of: live.record.id) {
                    out.send(connection, .queuePosition(sessionID: live.record.id, position: position,
                                                        expectedWaitSeconds: expectedWait(position: position)))
                }
            }
        case .staff(let identity):
            var member = staff[identity.id] ?? StaffMember(identity: identity)
            member.identity = identity
            member.connections.insert(connection)
            member.graceDeadline = nil
            staff[identity.id] = member
            out.send(connection, .status(member.status))
            sendSessionList(connection, after: 0)
            // The newcomer gets the board now; the others learn of the new agent with the next broadcast.
            out.send(connection, .queue(queueEntries()))
            out.send(connection, .agents(agentLoads()))
            boardSentThisStep.insert(connection)
            boardChanged = true
            routingNeeded = true
        }
    }

    /// Keeps the organization as storage last saw it, plus contacts this engine registered since.
    func learn(_ organization: OrganizationRecord) {
        var merged = organization
        if let known = organizations[organization.id] {
            merged.authorizedContacts.formUnion(known.authorizedContacts)
        }
        organizations[organization.id] = merged
    }

    func handleDisconnect(_ connection: ConnectionID) {
        guard let state = connections.removeValue(forKey: connection) else { return }
        storedReplays[connection] = nil
        for id in state.sessions {
            sessions[id]?.subscribers[connection] = nil
            guard let live = sessions[id] else { continue }
            for index in live.pending.indices where live.pending[index].origin == connection {
                live.pending[index].origin = nil
            }
        }
        guard case .staff(let identity) = state.principal, var member = staff[identity.id] else { return }
        member.connections.remove(connection)
        if !member.isConnected && !member.active.isEmpty {
            member.graceDeadline = clock.now().addingTimeInterval(config.agentGraceSeconds)
        }
        staff[identity.id] = member
        boardChanged = true
        routingNeeded = true
    }

    func handleDeadlines(now: Date) {
        let expired = staff.values.filter { member in
            guard let deadline = member.graceDeadline else { return false }
            return deadline <= now && !member.isConnected
        }
        for member in expired.sorted(by: { $0.identity.id < $1.identity.id }) {
            requeueAll(of: member.identity.id, reason: "agent_disconnected", status: member.status)
        }
        handleBudgetDeadlines(now: now)
        handleWaitOffers(now: now)
        routingNeeded = true
    }

    /// Returns an agent's sessions to the front of the queue, keeping their order. The agent keeps `status`
    /// (their availability survives a dropped connection: when they come back they get chats again).
    func requeueAll(of agentID: StaffID, reason: String, status: AgentStatus) {
        guard var member = staff[agentID] else { return }
        let now = clock.now()
        let returning = member.active
        member.active = []
        member.graceDeadline = nil
        member.status = status
        staff[agentID] = member
        for id in returning {
            guard let live = sessions[id] else { continue }
            live.record.state = .queued
            live.record.agent = nil
            live.record.queuedAt = now
            live.record.budget.pause(at: now)
            live.record.waitOffer = .none
            changedSessions.insert(id)
            let why = reason == "agent_offline" ? "went offline" : "was disconnected"
            let seq = append(id, kind: .requeued, author: .system,
                             text: "\(member.identity.name) \(why); the chat is back at the front of the queue.",
                             reason: reason)
            endSubscriptions(of: member, in: id, afterSeq: seq)
            out.persist(.updateSession(sessions[id]!.record))
        }
        queue.insert(contentsOf: returning, at: 0)
        boardChanged = true
        routingNeeded = true
        deadlinesChanged = true
    }

    /// The `session` frames a staff connection gets after `hello` (its own chats; every open chat for supervisors),
    /// a page at a time: a long list continues once the connection has drained (`Effect.continueSessionList`).
    func sendSessionList(_ connection: ConnectionID, after: SessionID) {
        guard case .staff(let identity)? = connections[connection]?.principal else { return }
        let visible = (identity.role == .supervisor
            ? sessions.values.filter { $0.record.state != .closed && $0.committedSeq > 0 }.map(\.record.id)
            : (staff[identity.id]?.active ?? []).filter { (sessions[$0]?.committedSeq ?? 0) > 0 })
            .filter { $0 > after }.sorted()
        let page = visible.prefix(config.replayPageSize)
        for id in page {
            if let live = sessions[id] { out.send(connection, .session(live.summary(at: clock.now()))) }
        }
        if visible.count > page.count, let last = page.last {
            out.append(.continueSessionList(connection, afterSessionID: last))
        }
    }
}
