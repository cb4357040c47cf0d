import Foundation

/// Writes that storage could not make durable. A failed event is never acknowledged or delivered: it and the
/// events after it in its session (which storage did not commit either) are withdrawn, their senders are told
/// `storage_failed` (a resend with the same client id is safe), and the session's next event reuses the seq, so
/// seqs stay gapless and no seq is handed out that was not stored.
extension ChatEngine {
    /// Storage failed these writes (after retrying what could be retried). Engine thread only.
    public func writesFailed(_ writes: [StorageWrite]) -> [Effect] {
        step { handleFailedWrites(writes) }
    }

    func handleFailedWrites(_ writes: [StorageWrite]) {
        var firstFailed: [SessionID: Seq] = [:]
        var lostSessions: Set<SessionID> = []
        for write in writes {
            switch write {
            case .appendEvent(let event):
                // Only the event the engine still holds at that seq: a failure reported for an event it already
                // withdrew (and whose seq a newer event now uses) changes nothing.
                guard sessions[event.sessionID]?.pending.contains(where: { $0.event == event }) == true else { continue }
                firstFailed[event.sessionID] = min(firstFailed[event.sessionID] ?? event.seq, event.seq)
            case .createSession(let record):
                lostSessions.insert(record.id)
            default:
                break
            }
        }
        for (id, seq) in firstFailed.sorted(by: { $0.key < $1.key }) {
            withdraw(id, from: seq)
            if seq == 1 {
                // The request itself was not stored: the chat never existed; its row (if stored) goes too, so the
                // request ledger does not answer a resend with a chat that has no request.
                forgetUnstoredSession(id)
                out.persist(.abandonSession(id))
            }
        }
        for id in lostSessions.sorted() { forgetUnstoredSession(id) }
    }

    /// Withdraws the uncommitted events of a session from `seq` on.
    private func withdraw(_ id: SessionID, from seq: Seq) {
        guard let live = sessions[id], seq > live.committedSeq else { return }
        let withdrawn = live.pending.filter { $0.event.seq >= seq }
        live.pending.removeAll { $0.event.seq >= seq }
        live.lastSeq = seq - 1
        for key in live.clientIDs.filter({ $0.value >= seq }).map(\.key) { live.clientIDs[key] = nil }
        // A follower that was to stop after a withdrawn event stops before it: the seq will name another event.
        for (connection, subscription) in live.subscribers {
            guard let end = subscription.endsAfterSeq, end >= seq else { continue }
            if subscription.deliveredSeq >= seq - 1 && !subscription.catchingUp {
                stopFollowing(connection, live)
            } else {
                live.subscribers[connection]?.endsAfterSeq = seq - 1
            }
        }
        for item in withdrawn {
            if let upload = item.uploadRequest {
                out.append(.attachmentAnswered(requestID: upload, .refused(ChatError(
                    .storageFailed, "The attachment could not be saved; nothing was stored. Send it again."))))
            }
            guard let origin = item.origin, connections[origin] != nil else { continue }
            refuse(origin, .storageFailed, "Your message could not be saved; nothing was stored. Send it again.",
                   ref: item.clientID)
        }
    }

    /// A new chat whose row could not be stored: it never existed for anyone.
    private func forgetUnstoredSession(_ id: SessionID) {
        guard let live = sessions[id], live.committedSeq == 0 else { return }
        queue.removeAll { $0 == id }
        if let clientID = live.record.requestClientID { requests[ChatRequestKey(live.record.customer, clientID: clientID)] = nil }
        for connection in live.subscribers.keys { connections[connection]?.sessions.remove(id) }
        for (staffID, var member) in staff where member.active.contains(id) {
            member.active.removeAll { $0 == id }
            staff[staffID] = member
        }
        sessions[id] = nil
        boardChanged = true
        routingNeeded = true
    }
}
