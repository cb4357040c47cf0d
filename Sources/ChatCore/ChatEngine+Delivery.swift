import Foundation

extension ChatEngine {
    /// Numbers a new event, asks for it to be stored, and holds it until its commit. Returns its seq.
    @discardableResult
    func append(_ id: SessionID, kind: SessionEventKind, author: Participant, text: String? = nil,
                clientID: String? = nil, origin: ConnectionID? = nil, agent: StaffRef? = nil, reason: String? = nil,
                ticketNumber: Int64? = nil, proposal: ServicesProposal? = nil) -> Seq {
        guard let live = sessions[id] else { return 0 }
        live.lastSeq += 1
        let event = SessionEvent(sessionID: id, seq: live.lastSeq, at: clock.now(), kind: kind, author: author,
                                 text: text, clientMessageID: clientID, agent: agent, reason: reason,
                                 ticketNumber: ticketNumber, proposal: proposal)
        live.pending.append(PendingEvent(event: event, origin: origin, clientID: clientID))
        if let clientID { live.clientIDs[clientID] = event.seq }
        out.persist(.appendEvent(event))
        return event.seq
    }

    /// Starts (or restarts) a connection's subscription to a session, replaying what it has not seen.
    /// The caller has checked access.
    func subscribe(_ connection: ConnectionID, to id: SessionID, afterSeq: Seq, sendSummary: Bool = true) {
        guard let live = sessions[id] else { return }
        connections[connection]?.sessions.insert(id)
        let from = max(0, afterSeq)
        if sendSummary && live.committedSeq > 0 { out.send(connection, .session(live.summary(at: clock.now()))) }
        if live.tailCovers(after: from) {
            for event in live.tail where event.seq > from && event.seq <= live.committedSeq {
                out.send(connection, .event(event))
            }
            live.subscribers[connection] = Subscription(deliveredSeq: live.committedSeq)
            if live.committedSeq > 0 { out.send(connection, .synced(sessionID: id, lastSeq: live.committedSeq)) }
            if let position = queuePosition(of: id), live.committedSeq > 0 {
                out.send(connection, .queuePosition(sessionID: id, position: position))
            }
        } else {
            live.subscribers[connection] = Subscription(deliveredSeq: from, catchingUp: true)
            out.append(.loadHistory(connection, sessionID: id, afterSeq: from))
        }
    }

    func sync(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, afterSeq: Seq) {
        guard let live = sessions[id] else {
            // Closed (or unknown) sessions are read from storage; access is checked on the record.
            out.append(.loadHistory(connection, sessionID: id, afterSeq: max(0, afterSeq)))
            return
        }
        guard mayRead(principal, live.record) else {
            return refuse(connection, .notYourSession, "You cannot follow chat \(id).")
        }
        subscribe(connection, to: id, afterSeq: afterSeq)
    }

    func handleHistory(_ connection: ConnectionID, _ id: SessionID, _ afterSeq: Seq,
                       _ record: ChatSessionRecord?, _ events: [SessionEvent]) {
        guard let principal = connections[connection]?.principal else { return }
        guard let record else {
            return refuse(connection, .unknownSession, "There is no chat \(id).")
        }
        guard mayRead(principal, sessions[id]?.record ?? record) else {
            return refuse(connection, .notYourSession, "You cannot follow chat \(id).")
        }
        guard let live = sessions[id] else {
            // A closed session: the stored transcript is all there is.
            out.send(connection, .session(SessionSummary(record: record, lastSeq: events.last?.seq ?? afterSeq,
                                                         customerReadSeq: 0, agentReadSeq: 0, asOf: clock.now())))
            for event in events where event.seq > afterSeq { out.send(connection, .event(event)) }
            out.send(connection, .synced(sessionID: id, lastSeq: events.last?.seq ?? afterSeq))
            return
        }
        guard var subscription = live.subscribers[connection], subscription.catchingUp else { return }
        // Storage may already hold events whose receipt has not arrived: stop at what the engine knows is
        // committed; the live path delivers the rest.
        for event in events where event.seq > subscription.deliveredSeq && event.seq <= live.committedSeq {
            out.send(connection, .event(event))
            subscription.deliveredSeq = event.seq
        }
        // Commits that arrived during the read may have pushed the tail past what storage returned:
        // read again from where the history stopped rather than skip the events in between.
        if !live.tailCovers(after: subscription.deliveredSeq) {
            live.subscribers[connection] = subscription
            out.append(.loadHistory(connection, sessionID: id, afterSeq: subscription.deliveredSeq))
            return
        }
        for event in live.tail where event.seq > subscription.deliveredSeq && event.seq <= live.committedSeq {
            out.send(connection, .event(event))
            subscription.deliveredSeq = event.seq
        }
        subscription.catchingUp = false
        live.subscribers[connection] = subscription
        out.send(connection, .synced(sessionID: id, lastSeq: live.committedSeq))
    }

    func handleCommit(_ receipt: CommitReceipt) {
        for (id, committed) in receipt.committedSeqs.sorted(by: { $0.key < $1.key }) {
            deliverCommitted(id, upTo: committed)
        }
    }

    private func deliverCommitted(_ id: SessionID, upTo committed: Seq) {
        guard let live = sessions[id] else { return }
        var delivered = 0
        while delivered < live.pending.count, live.pending[delivered].event.seq <= committed {
            let item = live.pending[delivered]
            delivered += 1
            let event = item.event
            live.committedSeq = event.seq
            live.tail.append(event)
            // Trimmed in batches (the tail may hold up to twice its size): amortized O(1) per event.
            if live.tail.count >= 2 * config.tailSize { live.tail.removeFirst(live.tail.count - config.tailSize) }
            if event.kind == .requested {
                out.send(Array(live.subscribers.keys).sorted(), .session(live.summary(at: clock.now())))
                changedSessions.insert(id)
            }
            var receivers: [ConnectionID] = []
            // The sender always gets its ack, even if it does not follow the session (yet).
            let ackTo = item.clientID != nil ? item.origin.flatMap { connections[$0] != nil ? $0 : nil } : nil
            if let ackTo, let clientID = item.clientID {
                out.send(ackTo, .ack(clientID: clientID, sessionID: id, seq: event.seq, event: event))
            }
            for (connection, var subscription) in live.subscribers where !subscription.catchingUp {
                guard subscription.deliveredSeq < event.seq else { continue }
                subscription.deliveredSeq = event.seq
                if connection != ackTo { receivers.append(connection) }
                if let end = subscription.endsAfterSeq, event.seq >= end {
                    live.subscribers[connection] = nil
                    connections[connection]?.sessions.remove(id)
                } else {
                    live.subscribers[connection] = subscription
                }
            }
            out.send(receivers.sorted(), .event(event))
            if event.kind == .requested, let position = queuePosition(of: id) {
                live.announcedPosition = position
                out.send(Array(live.subscribers.keys).sorted(), .queuePosition(sessionID: id, position: position))
            }
        }
        live.pending.removeFirst(delivered)
        if live.record.state == .closed && live.pending.isEmpty { evict(live) }
    }

    /// A closed session whose last event is delivered leaves memory; storage keeps its transcript.
    private func evict(_ live: LiveSession) {
        for connection in live.subscribers.keys { connections[connection]?.sessions.remove(live.record.id) }
        if let clientID = live.record.requestClientID { requests[requestKey(live.record.customer, clientID)] = nil }
        sessions[live.record.id] = nil
    }

    /// A staff member's connections stop following a session once `seq` (their last event in it) is delivered.
    func endSubscriptions(of member: StaffMember, in id: SessionID, afterSeq seq: Seq) {
        guard let live = sessions[id] else { return }
        for connection in member.connections {
            live.subscribers[connection]?.endsAfterSeq = seq
        }
    }

    /// Who may read a session: its customer, its current agent, any staff while it is queued, supervisors always.
    func mayRead(_ principal: Principal, _ record: ChatSessionRecord) -> Bool {
        switch principal {
        case .customer(let customer):
            return record.customer.organizationID == customer.organizationID && record.customer.contactID == customer.contactID
        case .staff(let identity):
            return identity.role == .supervisor || record.agent?.id == identity.id || record.state == .queued
        }
    }
}
