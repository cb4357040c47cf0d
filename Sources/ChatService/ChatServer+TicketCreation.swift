import ChatCore
import ChatStorage
import Foundation

/// Tickets the engine asks for (chat conversion, urgent requests outside hours), first-response due times,
/// and on-call alerts. Database work runs on the blocking workers, alerts on the notifier's thread; results come
/// back to the service thread through the mailbox.
extension ChatServer {
    /// When the first response to a ticket of `severity` opened at `start` is due, in the business hours of
    /// the region (the policy's default region when nil or unknown). Pure; safe from any thread.
    func firstResponseDue(severity: Int, from start: Date, regionID: String?) -> Date {
        let policy = engine.policy
        let level = policy.severity(severity) ?? policy.severities.max { $0.level < $1.level }!
        guard let calendar = calendars[regionID ?? policy.defaultRegion] ?? calendars[policy.defaultRegion] else {
            return start.addingTimeInterval(level.firstResponseBusinessHours * 3600)
        }
        return FirstResponseTarget.due(severity: level, from: start, calendar: calendar)
    }

    /// Whether an urgent ticket opened now in this region should wake on-call staff (outside support hours).
    /// Pure; safe from any thread.
    func needsOnCall(regionID: String?, at instant: Date) -> Bool {
        let policy = engine.policy
        guard let calendar = calendars[regionID ?? policy.defaultRegion] ?? calendars[policy.defaultRegion] else { return false }
        return !calendar.isOpen(at: instant)
    }

    /// Service thread: carries out the engine's `.createTicket` effect.
    func createRequestedTicket(_ request: TicketRequest) {
        let store = self.store
        let now = clock.now()
        let due = firstResponseDue(severity: request.severity, from: request.slaStart, regionID: request.regionID)
        var newDraft = TicketDraft(
            organizationID: request.organizationID, customer: request.customer, subject: request.subject,
            productID: request.productID, category: request.category, severity: request.severity, urgent: request.urgent,
            status: .new, sessionID: request.sessionID, convertedBy: request.convertedBy, createdAt: now,
            firstResponseDue: due, description: request.description,
            createdBy: request.convertedBy.map { Participant(role: .agent, id: String($0.id), name: $0.name) }
                ?? Participant(role: .customer, id: request.customer.contactID, name: request.customer.name))
        newDraft.requestClientID = request.requestKey?.clientID
        let draft = newDraft
        let onCall = request.notifyOnCall ? onCallRequest(organizationID: request.organizationID, now: now) : nil
        let accepted = workers.submit { [unowned self] in
            do {
                let created = try store.createTicketOnce(draft, onCall: onCall?())
                self.mailbox.post {
                    self.onCallQueued(created.onCall, ticket: created.ticket)
                    if created.created { self.apply(self.engine.ticketChanged(created.ticket, change: .created)) }
                    self.apply(self.engine.ticketCreated(requestID: request.id, number: created.ticket.number,
                                                         onCallNotified: created.onCall == .queued))
                }
            } catch {
                self.logger.error("ticket creation failed", metadata: ["ticket.error": "\(error)"])
                self.mailbox.post {
                    self.apply(self.engine.ticketCreationFailed(requestID: request.id, message: "storage error"))
                }
            }
        }
        if !accepted { apply(engine.ticketCreationFailed(requestID: request.id, message: "server busy")) }
    }

    /// The on-call part of an urgent ticket's creation, when a webhook is configured: a closure that reads the
    /// organization's name (on the worker) for the outbox row.
    func onCallRequest(organizationID: OrganizationID, now: Date) -> (@Sendable () -> OnCallRequest)? {
        guard onCallOutbox != nil else { return nil }
        let store = self.store, perDay = config.onCallAlertsPerOrganizationPerDay
        return {
            let name = (try? store.organization(id: organizationID))?.name ?? organizationID
            return OnCallRequest(organizationName: name, perDay: perDay, now: now)
        }
    }

    /// Service thread: after an urgent ticket was stored, wake the outbox, or tell supervisors the page was
    /// suppressed by the organization's daily limit.
    func onCallQueued(_ queueing: OnCallQueueing, ticket: Ticket) {
        switch queueing {
        case .queued:
            onCallOutbox?.poke()
        case .suppressed(let limit):
            logger.warning("on-call page suppressed by the organization's daily limit",
                           metadata: ["ticket.number": "\(ticket.number)", "chat.organization": "\(ticket.organizationID)"])
            alertSupervisors(kind: "oncall_limit_reached", ticketNumber: ticket.number, organizationID: ticket.organizationID,
                             message: "Urgent ticket #\(ticket.number) from \(ticket.organizationID) did not page on-call staff: the organization reached its limit of \(limit) urgent alerts in 24 hours.")
        case .notRequested:
            break
        }
    }
}

/// How on-call notification outcomes read in a ticket's history. Pure.
enum OnCallHistory {
    static func describe(_ outcome: NotificationOutcome) -> (TicketHistoryKind, String) {
        switch outcome {
        case let .delivered(attempt, status):
            return (.oncallNotified, "On-call staff were alerted (attempt \(attempt), HTTP \(status)).")
        case let .failedAttempt(attempt, detail, willRetry):
            return (.oncallFailed, "On-call alert attempt \(attempt) failed: \(detail).\(willRetry ? " Retrying." : "")")
        case let .gaveUp(attempts, detail):
            return (.oncallFailed, "On-call alert gave up after \(attempts) attempts: \(detail).")
        }
    }
}
