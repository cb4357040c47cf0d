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
        let notifier = onCall
        let accepted = workers.submit { [unowned self] in
            do {
                let (ticket, created) = try store.createTicketOnce(draft)
                var queued = false
                if request.notifyOnCall, let notifier {
                    if created {
                        let organization = try? store.organization(id: request.organizationID)
                        queued = self.alertOnCall(notifier, ticket: ticket, organizationName: organization?.name ?? request.organizationID)
                    } else {
                        // The same request again (a resend after a restart): on-call staff were paged for it then.
                        queued = self.needsOnCall(regionID: request.regionID, at: ticket.createdAt)
                    }
                }
                let alerted = queued
                self.mailbox.post {
                    self.apply(self.engine.ticketCreated(requestID: request.id, number: ticket.number, onCallNotified: alerted))
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

    /// Queues the on-call alert; each attempt's outcome goes into the ticket's history (on the notifier's thread).
    /// Returns whether the alert was queued.
    func alertOnCall(_ notifier: OnCallNotifier, ticket: Ticket, organizationName: String) -> Bool {
        let store = self.store
        let clock = self.clock
        let logger = self.logger
        let notice = UrgentNotice(
            ticketNumber: ticket.number, organizationID: ticket.organizationID, organizationName: organizationName,
            contactName: ticket.customer.name, contactEmail: ticket.customer.email, subject: ticket.subject,
            productID: ticket.productID, severity: ticket.severity, createdAt: ticket.createdAt, reason: "outside_hours")
        return notifier.notify(notice) { outcome in
            let (kind, text) = OnCallHistory.describe(outcome)
            do {
                try store.appendTicketHistory(number: ticket.number, kind: kind, text: text, actor: .system, at: clock.now())
            } catch {
                logger.error("could not record on-call outcome", metadata: ["ticket.number": "\(ticket.number)"])
            }
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
