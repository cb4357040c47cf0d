import Foundation

extension ChatEngine {
    /// Numbers a new event, asks for it to be stored, and holds it until its commit. Returns its seq.
    @discardableResult
    func append(_ id: SessionID, kind: SessionEventKind, author: Participant, text: String? = nil,
                clientID: String? = nil, origin: ConnectionID? = nil, agent: StaffRef? = nil, reason: String? = nil,
                ticketNumber: Int64? = nil, proposal: ServicesProposal? = nil,
                attachment: AttachmentInfo? = nil) -> Seq {
        guard let live = sessions[id] else { return 0 }
        live.lastSeq += 1
        let event = SessionEvent(sessionID: id, seq: live.lastSeq, at: clock.now(), kind: kind, author: author,
                                 text: text, clientMessageID: clientID, agent: agent, reason: reason,
                                 ticketNumber: ticketNumber, proposal: proposal, attachment: attachment)
        live.pending.append(PendingEvent(event: event, origin: origin, clientID: clientID))
        if let clientID { live.clientIDs[ClientMessageKey(author: AuthorKey(author), clientID: clientID)] = event.seq }
        out.persist(.appendEvent(event))
        return event.seq
    }

    /// Starts (or restarts) a connection's subscription to a session, replaying what it has not seen.
    /// The caller has checked access.
    /// `asked`: the connection sent `sync`, so `synced` answers it even before anything is committed.
    func subscribe(_ connection: ConnectionID, to id: SessionID, afterSeq: Seq, sendSummary: Bool = true, asked: Bool = false) {
        guard let live = sessions[id], let principal = connections[connection]?.principal else { return }
        // A replay already streaming for this connection ends with `synced`: a second `sync` from a later point
        // is covered by it; one from an earlier point moves it back (the page in flight becomes stale).
        if var streaming = live.subscribers[connection], streaming.catchingUp {
            let from = max(0, afterSeq)
            if from < streaming.deliveredSeq {
                streaming.deliveredSeq = from
                live.subscribers[connection] = streaming
                out.append(.loadHistory(connection, sessionID: id, afterSeq: from))
            }
            return
        }
        connections[connection]?.sessions.insert(id)
        let from = max(0, afterSeq)
        if sendSummary && live.committedSeq > 0 { out.send(connection, .session(live.summary(at: clock.now()))) }
        // Short replays come from the in-memory tail at once; longer ones stream from storage page by page.
        if live.tailCovers(after: from) && live.committedSeq - from <= Seq(config.replayPageSize) {
            for event in live.tail where event.seq > from && event.seq <= live.committedSeq
                && SessionAccess.mayReceive(principal, event.kind) {
                out.send(connection, .event(event))
            }
            live.subscribers[connection] = Subscription(deliveredSeq: live.committedSeq)
            if live.committedSeq > 0 || asked { out.send(connection, .synced(sessionID: id, lastSeq: live.committedSeq)) }
            if let position = queuePosition(of: id), live.committedSeq > 0 {
                out.send(connection, .queuePosition(sessionID: id, position: position, expectedWaitSeconds: expectedWait(position: position)))
            }
        } else {
            live.subscribers[connection] = Subscription(deliveredSeq: from, catchingUp: true)
            out.append(.loadHistory(connection, sessionID: id, afterSeq: from))
        }
    }

    /// Most replays of stored (closed) chats one connection may have in flight; more are refused `server_busy`.
    static let maxStoredReplaysPerConnection = 8

    func sync(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, afterSeq: Seq) {
        guard let live = sessions[id] else {
            // Closed (or unknown) sessions are read from storage page by page; the reader checks access on the
            // record before reading any event.
            guard id > 0, id < nextSessionID else { return refuse(connection, .unknownSession, "There is no chat \(id).") }
            var replays = storedReplays[connection] ?? [:]
            if var streaming = replays[id] {
                // Already streaming (it ends with `synced`); a `sync` from an earlier point moves it back.
                if max(0, afterSeq) < streaming.deliveredSeq {
                    streaming.deliveredSeq = max(0, afterSeq)
                    storedReplays[connection]?[id] = streaming
                    out.append(.loadHistory(connection, sessionID: id, afterSeq: streaming.deliveredSeq))
                }
                return
            }
            guard replays.count < Self.maxStoredReplaysPerConnection else {
                return refuse(connection, .serverBusy, "Too many replays at once on this connection; wait for `synced`.")
            }
            replays[id] = StoredReplay(deliveredSeq: max(0, afterSeq))
            storedReplays[connection] = replays
            connections[connection]?.sessions.insert(id)
            out.append(.loadHistory(connection, sessionID: id, afterSeq: max(0, afterSeq)))
            return
        }
        guard SessionAccess.mayFollow(principal, live.record) else {
            return refuse(connection, .notYourSession, "You cannot follow chat \(id).")
        }
        subscribe(connection, to: id, afterSeq: afterSeq, asked: true)
    }

    func handleHistory(_ connection: ConnectionID, _ id: SessionID, _ afterSeq: Seq, _ page: HistoryPage) {
        guard let principal = connections[connection]?.principal else { return }
        // Each page answers one position of one replay; a page for another position is stale (the replay moved
        // on or restarted) and is dropped: the read for the current position is in flight.
        if let replay = storedReplays[connection]?[id] {
            guard afterSeq == replay.deliveredSeq else { return }
            return continueStoredReplay(connection, principal, id, replay, page)
        }
        guard let live = sessions[id], var subscription = live.subscribers[connection], subscription.catchingUp,
              afterSeq == subscription.deliveredSeq else { return }
        // Storage may already hold events whose receipt has not arrived: stop at what the engine knows is
        // committed; the live path delivers the rest.
        let before = subscription.deliveredSeq
        // A follower that lost the right meanwhile gets the events up to its end, no further.
        let limit = min(live.committedSeq, subscription.endsAfterSeq ?? .max)
        /// Sends the events of `events` this replay still owes; true when the follower reached its end and stopped.
        func replay(_ events: [SessionEvent]) -> Bool {
            for event in events where event.seq > subscription.deliveredSeq && event.seq <= limit {
                if SessionAccess.mayReceive(principal, event.kind) { out.send(connection, .event(event)) }
                subscription.deliveredSeq = event.seq
            }
            guard let end = subscription.endsAfterSeq, subscription.deliveredSeq >= end else { return false }
            stopFollowing(connection, live)
            return true
        }
        if replay(page.events) { return }
        // Not yet where the in-memory tail starts: read the next page once the connection has drained (also when
        // commits during the read pushed the tail past what storage returned).
        let rest = live.committedSeq - subscription.deliveredSeq
        if (!live.tailCovers(after: subscription.deliveredSeq) || rest > Seq(config.replayPageSize))
            && (subscription.deliveredSeq > before || !page.isLast) {
            live.subscribers[connection] = subscription
            out.append(.loadHistory(connection, sessionID: id, afterSeq: subscription.deliveredSeq))
            return
        }
        if replay(live.tail) { return }
        subscription.catchingUp = false
        live.subscribers[connection] = subscription
        out.send(connection, .synced(sessionID: id, lastSeq: live.committedSeq))
    }

    /// One page of a closed chat's replay: the summary first, events in order, `synced` after the last page.
    private func continueStoredReplay(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID,
                                      _ replay: StoredReplay, _ page: HistoryPage) {
        func finish() {
            storedReplays[connection]?[id] = nil
            if storedReplays[connection]?.isEmpty == true { storedReplays[connection] = nil }
            if sessions[id]?.subscribers[connection] == nil { connections[connection]?.sessions.remove(id) }
        }
        guard let stored = page.session else {
            finish()
            return refuse(connection, .unknownSession, "There is no chat \(id).")
        }
        guard SessionAccess.mayFollow(principal, stored.record, handledBy: stored.handledBy) else {
            finish()
            return refuse(connection, .notYourSession, "You cannot follow chat \(id).")
        }
        var replay = replay
        if !replay.summarySent {
            replay.summarySent = true
            out.send(connection, .session(SessionSummary(record: stored.record, lastSeq: stored.lastSeq,
                                                         customerReadSeq: stored.customerReadSeq,
                                                         agentReadSeq: stored.agentReadSeq, asOf: clock.now())))
        }
        let before = replay.deliveredSeq
        for event in page.events where event.seq > replay.deliveredSeq {
            if SessionAccess.mayReceive(principal, event.kind) { out.send(connection, .event(event)) }
            replay.deliveredSeq = event.seq
        }
        if page.isLast || replay.deliveredSeq == before {
            finish()
            return out.send(connection, .synced(sessionID: id, lastSeq: stored.lastSeq))
        }
        storedReplays[connection]?[id] = replay
        out.append(.loadHistory(connection, sessionID: id, afterSeq: replay.deliveredSeq))
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
            let audience = event.kind.audience
            // The sender always gets its ack, even if it does not follow the session (yet).
            let ackTo = item.clientID != nil ? item.origin.flatMap { connections[$0] != nil ? $0 : nil } : nil
            if let ackTo, let clientID = item.clientID {
                out.send(ackTo, .ack(clientID: clientID, sessionID: id, seq: event.seq, at: event.at))
            }
            if let upload = item.uploadRequest { out.append(.attachmentAnswered(requestID: upload, .committed(event))) }
            for (connection, var subscription) in live.subscribers where !subscription.catchingUp {
                guard subscription.deliveredSeq < event.seq else { continue }
                if let end = subscription.endsAfterSeq, event.seq > end {
                    // Past the last event this follower may see (its replay caught up beyond it): it stops here.
                    stopFollowing(connection, live)
                    continue
                }
                subscription.deliveredSeq = event.seq
                if connection != ackTo, audience == .everyone
                    || connections[connection].map({ SessionAccess.mayReceive($0.principal, event.kind) }) == true {
                    receivers.append(connection)
                }
                if let end = subscription.endsAfterSeq, event.seq >= end {
                    stopFollowing(connection, live)
                } else {
                    live.subscribers[connection] = subscription
                }
            }
            out.send(receivers.sorted(), .event(event))
            if event.kind == .requested, let position = queuePosition(of: id) {
                live.announcedPosition = position
                out.send(Array(live.subscribers.keys).sorted(), .queuePosition(sessionID: id, position: position,
                                                                                   expectedWaitSeconds: expectedWait(position: position)))
            }
        }
        live.pending.removeFirst(delivered)
        if live.record.state == .closed && live.pending.isEmpty { evict(live) }
    }

    /// A closed session whose last event is delivered leaves memory; storage keeps its transcript.
    private func evict(_ live: LiveSession) {
        for (connection, subscription) in live.subscribers {
            if subscription.catchingUp {
                // Its replay goes on from storage (the read in flight answers this position), to the chat's end.
                storedReplays[connection, default: [:]][live.record.id] =
                    StoredReplay(deliveredSeq: subscription.deliveredSeq, summarySent: true)
            } else {
                connections[connection]?.sessions.remove(live.record.id)
            }
        }
        if let clientID = live.record.requestClientID { requests[ChatRequestKey(live.record.customer, clientID: clientID)] = nil }
        sessions[live.record.id] = nil
    }

    /// A connection stops following a session now.
    func stopFollowing(_ connection: ConnectionID, _ live: LiveSession) {
        live.subscribers[connection] = nil
        connections[connection]?.sessions.remove(live.record.id)
    }

    /// A staff member's connections stop following a session once `seq` (their last event in it) is delivered.
    func endSubscriptions(of member: StaffMember, in id: SessionID, afterSeq seq: Seq) {
        guard let live = sessions[id] else { return }
        for connection in member.connections {
            live.subscribers[connection]?.endsAfterSeq = seq
        }
    }
}

/// A replay of a stored (closed) chat in progress on one connection.
struct StoredReplay {
    var deliveredSeq: Seq
    var summarySent = false
}
