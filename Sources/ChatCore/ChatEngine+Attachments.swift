import Foundation

extension ChatEngine {
    /// An uploaded file (already on disk, content checked) asks to become an `attachment` event in chat `id`,
    /// written by `principal` (who authenticated the HTTP upload `requestID`). The same writer rules as `send`:
    /// the chat's customer, or its agent while active, or a supervisor barging in; never a closed chat. Answers
    /// with `.attachmentAnswered(requestID, ...)`: `.committed` once the event is on disk, or `.refused` now.
    public func attach(_ attachment: AttachmentInfo, to id: SessionID, by principal: Principal, requestID: UInt64) -> [Effect] {
        step { handleAttach(attachment, id, principal, requestID) }
    }

    private func handleAttach(_ attachment: AttachmentInfo, _ id: SessionID, _ principal: Principal, _ requestID: UInt64) {
        func refuse(_ code: ChatErrorCode, _ message: String) {
            out.append(.attachmentAnswered(requestID: requestID, .refused(ChatError(code, message))))
        }
        let author: Participant
        do {
            guard let live = sessions[id] else {
                // Not in memory: closed (and evicted) or unknown. Either way nothing may be attached; the caller
                // already checked that this principal may see the chat at all.
                return refuse(.sessionClosed, "This chat has ended; files can only be attached to an open chat.")
            }
            guard SessionAccess.mayFollow(principal, live.record) else {
                return refuse(.notYourSession, "You are not part of chat \(id).")
            }
            guard live.record.state != .closed else {
                return refuse(.sessionClosed, "This chat has ended; files can only be attached to an open chat.")
            }
            guard let writer = writer(principal, live.record) ?? supervisorBargingIn(principal, live.record) else {
                return refuse(.notYourSession, "You are not part of chat \(id).")
            }
            author = writer
        }
        let seq = append(id, kind: .attachment, author: author, text: attachment.name, attachment: attachment)
        if let live = sessions[id], let index = live.pending.lastIndex(where: { $0.event.seq == seq }) {
            live.pending[index].uploadRequest = requestID
        }
    }

    /// As `bargeIn` for messages: a supervisor writes into an active chat that is not theirs, as themselves.
    private func supervisorBargingIn(_ principal: Principal, _ record: ChatSessionRecord) -> Participant? {
        guard case .staff(let identity) = principal, identity.role == .supervisor, record.state == .active else { return nil }
        return staff[identity.id]?.participant
            ?? Participant(role: .supervisor, id: String(identity.id), name: identity.name)
    }
}
