import Foundation

extension ChatEngine {
    /// A `message` from a participant, or a staff-only `note` (`kind: .note`) from any staff member who may follow
    /// the open chat (its agent, a supervisor whispering to the agent, any agent while it is queued). Both are
    /// idempotent per author and client id.
    func sendMessage(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, clientID: String, text: String,
                     kind: SessionEventKind = .message) {
        let key = ClientMessageKey(author: authorKey(principal), clientID: clientID)
        // The checks run in their own scope so that the reference `live` is gone before `append` changes the
        // session (otherwise `append` copies the session's `clientIDs` and `pending` on every message).
        let author: Participant
        do {
            guard let live = sessions[id] else {
                // Closed and evicted: storage answers with the original ack for a resend, else session_closed.
                return lookUpStoredSession(connection, id, resend: key, ref: clientID)
            }
            guard SessionAccess.mayFollow(principal, live.record) else {
                return refuse(connection, .notYourSession, "You are not part of chat \(id).", ref: clientID)
            }
            if let seq = live.clientIDs[key] {
                // This author's resend: never a second event, whatever the chat's state now. Acknowledge now if
                // committed, else when the commit arrives.
                if seq <= live.committedSeq {
                    acknowledgeAgain(connection, live, key: key, seq: seq)
                } else if let index = live.pending.firstIndex(where: { $0.event.seq == seq }) {
                    live.pending[index].origin = connection
                }
                return
            }
            guard live.record.state != .closed else {
                return refuse(connection, .sessionClosed, "This chat has ended. Open a new one or a ticket.", ref: clientID)
            }
            guard let writerAuthor = kind == .note ? noteAuthor(principal)
                    : writer(principal, live.record) ?? bargeIn(principal, live.record) else {
                return refuse(connection, .notYourSession, "You are not part of chat \(id).", ref: clientID)
            }
            guard text.hasVisibleContent else {
                return refuse(connection, .invalidField, "A \(kind == .note ? "note" : "message") must not be empty.", ref: clientID)
            }
            guard !text.exceedsScalars(config.maxMessageLength) else {
                return refuse(connection, .messageTooLong, "Messages are limited to \(config.maxMessageLength) characters.", ref: clientID)
            }
            author = writerAuthor
        }
        append(id, kind: kind, author: author, text: text, clientID: clientID, origin: connection)
    }

    /// A supervisor barging into an active chat that is not theirs: they write as themselves (role
    /// `supervisor`) next to its agent, who keeps the chat.
    private func bargeIn(_ principal: Principal, _ record: ChatSessionRecord) -> Participant? {
        guard case .staff(let identity) = principal, identity.role == .supervisor, record.state == .active else { return nil }
        return noteAuthor(principal)
    }

    /// Who writes a note: staff only (the follow right was checked), as themselves.
    private func noteAuthor(_ principal: Principal) -> Participant? {
        guard case .staff(let identity) = principal else { return nil }
        return staff[identity.id]?.participant
            ?? Participant(role: identity.role == .supervisor ? .supervisor : .agent, id: String(identity.id), name: identity.name)
    }

    func relayTyping(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, active: Bool) {
        guard let live = openSession(connection, principal, id) else { return }
        guard let author = writer(principal, live.record) else {
            return refuse(connection, .notYourSession, "You are not part of chat \(id).")
        }
        out.send(otherSide(of: author.role, in: live), .typing(sessionID: id, role: author.role, active: active))
    }

    func markRead(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, seq: Seq) {
        guard let live = openSession(connection, principal, id) else { return }
        guard let author = writer(principal, live.record) else {
            return refuse(connection, .notYourSession, "You are not part of chat \(id).")
        }
        let upTo = min(seq, live.committedSeq)
        let isCustomer = author.role == .customer
        guard upTo > (isCustomer ? live.customerReadSeq : live.agentReadSeq) else { return }
        if isCustomer { live.customerReadSeq = upTo } else { live.agentReadSeq = upTo }
        out.persist(.readMarker(sessionID: id, role: isCustomer ? .customer : .agent, seq: upTo))
        out.send(otherSide(of: author.role, in: live), .read(sessionID: id, role: isCustomer ? .customer : .agent, seq: upTo))
    }

    /// Connections following the session for the other party (customer <-> staff).
    private func otherSide(of role: Participant.Role, in live: LiveSession) -> [ConnectionID] {
        live.subscribers.keys.filter { connection in
            guard let principal = connections[connection]?.principal else { return false }
            return role == .customer ? principal.isStaff : !principal.isStaff
        }.sorted()
    }
}
