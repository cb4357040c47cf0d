import Foundation

/// The quick-question budget: runs while an agent is assigned, warns, then offers conversion to a ticket.
extension ChatEngine {
    var warningSeconds: Double { policy.chat.warningMinutesLeft * 60 }

    /// A new budget for a new chat, per policy.
    func newBudget() -> QuickQuestionBudget {
        QuickQuestionBudget(limitSeconds: policy.chat.quickQuestionMinutes * 60)
    }

    /// Marks a session whose budget may have changed; `announceBudgetChanges` tells both sides at the end of
    /// the step if it did.
    func announceBudget(_ id: SessionID) {
        deadlinesChanged = true
        changedSessions.insert(id)
    }

    /// Tells both sides where the budget stands whenever it differs from what they were last told: every start,
    /// pause, resume, warning and stage change, whichever code path made it.
    func announceBudgetChanges(_ ids: Set<SessionID>) {
        let now = clock.now()
        for id in ids.sorted() {
            guard let live = sessions[id] else { continue }
            let current = BudgetAnnouncement(live.record.budget)
            guard current != live.announcedBudget else { continue }
            live.announcedBudget = current
            deadlinesChanged = true
            out.send(live.subscribers.keys.sorted(), .budget(BudgetStatus(sessionID: id, budget: live.record.budget, at: now)))
        }
    }

    /// Budget deadlines due at `now`: the warning, then the conversion offer.
    func handleBudgetDeadlines(now: Date) {
        let due = sessions.values.filter { live in
            guard live.record.state == .active, let deadline = live.record.budget.nextDeadline(warningSeconds: warningSeconds)
            else { return false }
            return deadline <= now
        }.map(\.record.id).sorted()
        for id in due {
            guard let live = sessions[id] else { continue }
            let minutes = Int((policy.chat.quickQuestionMinutes).rounded())
            if live.record.budget.stage == .running, live.record.budget.remaining(at: now) <= warningSeconds {
                live.record.budget.stage = .warned
                let left = Int((live.record.budget.remaining(at: now) / 60).rounded(.up))
                append(id, kind: .budgetWarning, author: .system,
                       text: "About \(left) minute\(left == 1 ? "" : "s") left of the \(minutes)-minute quick-question time.")
            }
            if sessions[id]?.record.budget.stage == .warned, live.record.budget.remaining(at: now) <= 0 {
                sessions[id]?.record.budget.stage = .offerPending
                append(id, kind: .conversionOffered, author: .system,
                       text: "The \(minutes)-minute quick-question time is up. We can turn this chat into a ticket so the team can take the time it needs; the whole conversation goes with it. Would you like that?")
            }
            if let record = sessions[id]?.record { out.persist(.updateSession(record)) }
            announceBudget(id)
        }
    }

    func respondToOffer(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, accept: Bool) {
        guard let live = openSession(connection, principal, id) else { return }
        guard case .customer = principal, let author = writer(principal, live.record) else {
            return refuse(connection, .notYourSession, "Only the customer of chat \(id) can answer the offer.")
        }
        if live.record.state == .queued {
            return respondToWaitOffer(connection, live, author: author, accept: accept)
        }
        guard live.record.budget.stage == .offerPending else {
            return refuse(connection, .noPendingOffer, "There is no conversion offer waiting in chat \(id).")
        }
        if accept {
            append(id, kind: .offerAccepted, author: author, text: "\(author.name) accepted: the chat becomes a ticket.")
            beginConversion(id, category: .request, severity: 3, urgent: false, by: nil, origin: connection)
        } else {
            sessions[id]?.record.budget.stage = .declined
            append(id, kind: .offerDeclined, author: author,
                   text: "\(author.name) would rather not open a ticket. The agent will decide whether to continue.")
            if let record = sessions[id]?.record { out.persist(.updateSession(record)) }
            announceBudget(id)
        }
    }

    func continueChat(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID) {
        guard let live = openSession(connection, principal, id) else { return }
        guard let author = writer(principal, live.record), author.role != .customer else {
            return refuse(connection, .notYourSession, "Only the agent of chat \(id) can decide to continue.")
        }
        guard live.record.budget.stage == .declined else {
            return refuse(connection, .noPendingOffer, "Chat \(id) has no declined offer to continue from.")
        }
        sessions[id]?.record.budget.stage = .continued
        append(id, kind: .chatContinued, author: author, text: "\(author.name) continues the chat beyond the quick-question time.")
        if let record = sessions[id]?.record { out.persist(.updateSession(record)) }
        announceBudget(id)
    }
}
