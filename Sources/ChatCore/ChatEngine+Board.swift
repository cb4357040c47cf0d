import Foundation

extension ChatEngine {
    /// 1-based place of a queued session, nil when not queued.
    func queuePosition(of id: SessionID) -> Int? {
        queue.firstIndex(of: id).map { $0 + 1 }
    }

    func queueEntries() -> [QueueEntry] {
        queue.compactMap { id in
            guard let record = sessions[id]?.record else { return nil }
            return QueueEntry(sessionID: id, organizationID: record.organizationID, customerName: record.customer.name,
                              productID: record.productID, subject: record.subject,
                              queuedAt: record.queuedAt ?? record.createdAt, longWait: record.waitOffer != .none)
        }
    }

    func agentLoads() -> [AgentLoad] {
        staff.values.sorted { $0.identity.id < $1.identity.id }.map(\.load)
    }

    /// At the end of every step: route the queue if anything routing depends on changed, stop followers who lost
    /// the right to a changed session, announce budget changes, tell customers whose queue position moved,
    /// supervisors which sessions changed, and staff if the board changed.
    func finishStep() {
        if routingNeeded {
            routingNeeded = false
            routeQueue()
        }
        if !changedSessions.isEmpty {
            revalidateFollowers(changedSessions)
            announceBudgetChanges(changedSessions)
            let supervisors = connections.filter {
                if case .staff(let identity) = $0.value.principal { return identity.role == .supervisor } else { return false }
            }.map(\.key).sorted()
            let now = clock.now()
            for id in changedSessions.sorted() {
                // Only committed sessions are shown; a closed one is sent once more (its final state) before it leaves memory.
                guard let live = sessions[id], live.committedSeq > 0 else { continue }
                out.send(supervisors, .session(live.summary(at: now)))
            }
            changedSessions.removeAll(keepingCapacity: true)
        }
        for (index, id) in queue.enumerated() {
            guard let live = sessions[id], live.committedSeq > 0, live.announcedPosition != index + 1 else { continue }
            live.announcedPosition = index + 1
            let customers = live.subscribers.keys.filter { connections[$0]?.principal.isStaff == false }.sorted()
            out.send(customers, .queuePosition(sessionID: id, position: index + 1, expectedWaitSeconds: expectedWait(position: index + 1)))
        }
        defer { boardSentThisStep.removeAll() }
        guard boardChanged else { return }
        deadlinesChanged = true
        let now = clock.now()
        let next = lastBoardAt.addingTimeInterval(config.boardIntervalSeconds)
        guard now >= next else {
            boardDue = next   // `advance()` at that time broadcasts the latest board
            return
        }
        boardChanged = false
        boardDue = nil
        lastBoardAt = now
        let staffConnections = connections
            .filter { $0.value.principal.isStaff && !boardSentThisStep.contains($0.key) }.map(\.key).sorted()
        guard !staffConnections.isEmpty else { return }
        out.send(staffConnections, .queue(queueEntries()))
        out.send(staffConnections, .agents(agentLoads()))
    }
}

extension ChatEngine {
    /// Authenticated connections by role (`customer`, `agent`, `supervisor`), for metrics.
    public func connectionCountsByRole() -> [String: Int] {
        var counts: [String: Int] = ["customer": 0, "agent": 0, "supervisor": 0]
        for connection in connections.values {
            switch connection.principal {
            case .customer: counts["customer", default: 0] += 1
            case .staff(let identity): counts[identity.role.rawValue, default: 0] += 1
            }
        }
        return counts
    }

    /// Open chats in memory by state (`queued`, `active`), for metrics.
    public func openChatCountsByState() -> [String: Int] {
        var counts: [String: Int] = ["queued": 0, "active": 0]
        for live in sessions.values where live.record.state != .closed { counts[live.record.state.rawValue, default: 0] += 1 }
        return counts
    }

    /// When the chat at the front of the queue started waiting, nil for an empty queue.
    public var oldestQueuedAt: Date? {
        queue.compactMap { sessions[$0].map { $0.record.queuedAt ?? $0.record.createdAt } }.min()
    }
}
