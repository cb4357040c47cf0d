import Foundation

/// Resolving the session a command names, in one order everywhere: does it exist, may this principal see it,
/// has it ended. Identity and role are checked before state, so a refusal never tells a stranger more than
/// "not yours" (another organization cannot tell queued from active or closed chats by the code).
extension ChatEngine {
    /// The open session a command may act on, or nil after answering. Sessions not in memory (closed and
    /// evicted) are looked up in storage (`Effect.findSession`), which answers `not_your_session` or
    /// `session_closed` once the record is read.
    func openSession(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID,
                     ref: String? = nil) -> LiveSession? {
        guard let live = sessions[id] else {
            lookUpStoredSession(connection, id, resend: nil, ref: ref)
            return nil
        }
        guard SessionAccess.mayFollow(principal, live.record) else {
            refuse(connection, .notYourSession, "You are not part of chat \(id).", ref: ref)
            return nil
        }
        guard live.record.state != .closed else {
            refuse(connection, .sessionClosed, "This chat has ended. Open a new one or a ticket.", ref: ref)
            return nil
        }
        return live
    }

    /// Asks storage about a session that is not in memory; ids never allocated are unknown at once.
    func lookUpStoredSession(_ connection: ConnectionID, _ id: SessionID, resend: ClientMessageKey?, ref: String?) {
        guard id > 0, id < nextSessionID else {
            return refuse(connection, .unknownSession, "There is no chat \(id).", ref: ref)
        }
        out.append(.findSession(connection, sessionID: id, resend: resend))
    }

    func handleSessionFound(_ connection: ConnectionID, _ id: SessionID, resend: ClientMessageKey?,
                            session: StoredSession?, resent: SessionEvent?) {
        guard let principal = connections[connection]?.principal else { return }
        let ref = resend?.clientID
        guard let session else {
            return refuse(connection, .unknownSession, "There is no chat \(id).", ref: ref)
        }
        // A chat still in memory (a resend older than its tail) is judged on its newest state.
        let live = sessions[id]
        guard live.map({ SessionAccess.mayFollow(principal, $0.record) })
                ?? SessionAccess.mayFollow(principal, session.record, handledBy: session.handledBy) else {
            return refuse(connection, .notYourSession, "You are not part of chat \(id).", ref: ref)
        }
        if let resend, let resent, resent.seq > 0 {
            // A resend of a stored message: the original acknowledgement, same seq and time.
            return out.send(connection, .ack(clientID: resend.clientID, sessionID: id, seq: resent.seq, at: resent.at))
        }
        if let live, live.record.state != .closed {
            // Only a resend of a committed message asks storage about an open chat, and that message is stored.
            return refuse(connection, .serverBusy, "The server could not read chat \(id); try again.", ref: ref)
        }
        refuse(connection, .sessionClosed, "This chat has ended. Open a new one or a ticket.", ref: ref)
    }

    /// Acknowledges a committed message or request once more (a resend): with its time from the in-memory tail,
    /// or, for one older than the tail, from storage (`Effect.findSession` with the key answers with the same ack).
    func acknowledgeAgain(_ connection: ConnectionID, _ live: LiveSession, key: ClientMessageKey, seq: Seq) {
        let id = live.record.id
        if let event = live.committedEvent(seq) {
            out.send(connection, .ack(clientID: key.clientID, sessionID: id, seq: seq, at: event.at))
        } else {
            out.append(.findSession(connection, sessionID: id, resend: key))
        }
    }

    /// How a principal's client ids are keyed (the author they write as).
    func authorKey(_ principal: Principal) -> AuthorKey {
        switch principal {
        case .customer(let customer):
            return AuthorKey(role: .customer, id: customer.contactID)
        case .staff(let identity):
            return AuthorKey(role: identity.role == .supervisor ? .supervisor : .agent, id: String(identity.id))
        }
    }

    /// The participant a principal writes as in a session, or nil if they may not write there.
    /// Customers write in their own chats (also while queued); staff only in chats assigned to them.
    func writer(_ principal: Principal, _ record: ChatSessionRecord) -> Participant? {
        guard record.state != .closed, let participant = SessionAccess.participant(principal, record) else { return nil }
        guard case .staff(let identity) = principal else { return participant }
        guard record.state == .active else { return nil }
        return staff[identity.id]?.participant ?? participant
    }

    /// Re-checks every follower of the sessions that changed: whoever may no longer follow one (another agent
    /// took it, it was transferred away, it closed while queued) stops after the events already assigned,
    /// which tell them why.
    func revalidateFollowers(_ ids: Set<SessionID>) {
        for id in ids {
            guard let live = sessions[id] else { continue }
            for (connection, subscription) in live.subscribers where subscription.endsAfterSeq == nil {
                guard let principal = connections[connection]?.principal else { continue }
                if SessionAccess.mayFollow(principal, live.record) { continue }
                if subscription.catchingUp || subscription.deliveredSeq >= live.lastSeq {
                    stopFollowing(connection, live)
                } else {
                    live.subscribers[connection]?.endsAfterSeq = live.lastSeq
                }
            }
        }
    }
}
