import Foundation

extension ChatEngine {
    func sendMessage(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, clientID: String, text: String) {
        // The checks run in their own scope so that the copy `live` is gone before `append` changes the session
        // (otherwise `append` copies the session's `clientIDs` and `pending` on every message).
        let author: Participant
        do {
            guard let live = sessions[id] else {
                return refuse(connection, id < nextSessionID ? .sessionClosed : .unknownSession,
                              id < nextSessionID ? "This chat has ended. Open a new one or a ticket." : "There is no chat \(id).",
                              ref: clientID)
            }
            guard let writerAuthor = writer(principal, live.record) else {
                // The agent of a chat that was just closed (not yet evicted) is told it ended, as after eviction.
                if live.record.state == .closed, mayRead(principal, live.record) {
                    return refuse(connection, .sessionClosed, "This chat has ended. Open a new one or a ticket.", ref: clientID)
                }
                return refuse(connection, .notYourSession, "You are not part of chat \(id).", ref: clientID)
            }
            if let seq = live.clientIDs[clientID] {
                // A resend: never a second event. Acknowledge now if committed, else when the commit arrives.
                if seq <= live.committedSeq {
                    out.send(connection, .ack(clientID: clientID, sessionID: id, seq: seq, event: live.committedEvent(seq)))
                } else if let index = live.pending.firstIndex(where: { $0.event.seq == seq }) {
                    live.pending[index].origin = connection
                }
                return
            }
            guard live.record.state != .closed else {
                return refuse(connection, .sessionClosed, "This chat has ended. Open a new one or a ticket.", ref: clientID)
            }
            guard text.hasVisibleContent else {
                return refuse(connection, .invalidField, "A message must not be empty.", ref: clientID)
            }
            guard !text.exceedsScalars(config.maxMessageLength) else {
                return refuse(connection, .messageTooLong, "Messages are limited to \(config.maxMessageLength) characters.", ref: clientID)
            }
            author = writerAuthor
        }
        append(id, kind: .message, author: author, text: text, clientID: clientID, origin: connection)
    }

    /// The participant a principal writes as in a session, or nil if they may not write there.
    /// Customers write in their own chats (also while queued); staff only in chats assigned to them.
    func writer(_ principal: Principal, _ record: ChatSessionRecord) -> Participant? {
        switch principal {
        case .customer(let customer):
            guard record.customer.organizationID == customer.organizationID,
                  record.customer.contactID == customer.contactID else { return nil }
            return Participant(role: .customer, id: customer.contactID, name: customer.name)
        case .staff(let identity):
            guard record.state == .active, record.agent?.id == identity.id else { return nil }
            return staff[identity.id]?.participant
                ?? Participant(role: identity.role == .supervisor ? .supervisor : .agent, id: String(identity.id), name: identity.name)
        }
    }

    func relayTyping(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, active: Bool) {
        if refuseIfEnded(connection, principal, id) { return }
        guard let live = sessions[id], let author = writer(principal, live.record) else {
            return refuse(connection, .notYourSession, "You are not part of chat \(id).")
        }
        out.send(otherSide(of: author.role, in: live), .typing(sessionID: id, role: author.role, active: active))
    }

    func markRead(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, seq: Seq) {
        if refuseIfEnded(connection, principal, id) { return }
        guard let live = sessions[id], let author = writer(principal, live.record) else {
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

    /// Typing and read receipts for a chat that has ended (or left memory): `session_closed`, not a permission error.
    private func refuseIfEnded(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID) -> Bool {
        if let live = sessions[id] {
            guard live.record.state == .closed, mayRead(principal, live.record) else { return false }
        } else if id >= nextSessionID {
            return false
        }
        refuse(connection, .sessionClosed, "Chat \(id) has ended.")
        return true
    }
}
