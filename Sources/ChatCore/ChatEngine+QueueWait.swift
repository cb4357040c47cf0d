import Foundation

/// A customer never waits in the queue forever: after policy `chat.maxQueueMinutes` they are offered a ticket
/// (accept: the chat becomes a ticket with the whole conversation so far; decline: keep waiting, in place), and
/// staff boards flag the chat as a long wait.
extension ChatEngine {
    var maxQueueSeconds: Double? {
        policy.chat.maxQueueMinutes > 0 ? policy.chat.maxQueueMinutes * 60 : nil
    }

    /// When a queued session's long-wait offer is due (nil: none due, or already made or answered).
    func waitOfferDeadline(_ record: ChatSessionRecord) -> Date? {
        guard let limit = maxQueueSeconds, record.state == .queued, record.waitOffer == .none,
              record.budget.stage != .converting else { return nil }
        return (record.queuedAt ?? record.createdAt).addingTimeInterval(limit)
    }

    /// The earliest long-wait offer due among queued sessions.
    func nextWaitOfferDeadline() -> Date? {
        queue.compactMap { sessions[$0].flatMap { waitOfferDeadline($0.record) } }.min()
    }

    /// Makes every long-wait offer due at `now`.
    func handleWaitOffers(now: Date) {
        guard let limit = maxQueueSeconds else { return }
        for id in queue {
            guard let live = sessions[id], let due = waitOfferDeadline(live.record), due <= now else { continue }
            live.record.waitOffer = .offered
            let minutes = Int((limit / 60).rounded())
            append(id, kind: .waitOffered, author: .system,
                   text: "Sorry for the wait: every agent is busy. You have waited \(minutes) minute\(minutes == 1 ? "" : "s"). We can turn this chat into a ticket now (the whole conversation goes with it and the team answers there), or you can keep waiting in your place.")
            out.persist(.updateSession(live.record))
            changedSessions.insert(id)
            boardChanged = true
        }
    }

    /// The customer's answer to the long-wait offer of a queued chat.
    func respondToWaitOffer(_ connection: ConnectionID, _ live: LiveSession, author: Participant, accept: Bool) {
        let id = live.record.id
        guard live.record.waitOffer == .offered, live.record.budget.stage != .converting else {
            return refuse(connection, .noPendingOffer, "There is no offer waiting in chat \(id).")
        }
        if accept {
            live.record.waitOffer = .none
            append(id, kind: .offerAccepted, author: author, text: "\(author.name) accepted: the chat becomes a ticket.")
            beginConversion(id, category: .request, severity: 3, urgent: false, by: nil, origin: connection)
        } else {
            live.record.waitOffer = .declined
            append(id, kind: .waitDeclined, author: author, text: "\(author.name) keeps waiting for an agent.")
            out.persist(.updateSession(live.record))
        }
        changedSessions.insert(id)
        boardChanged = true
    }
}
