import Foundation

/// What a ticket being created is for.
enum PendingTicket {
    /// A chat being converted; `previousStage` is restored if creation fails.
    case conversion(SessionID, previousStage: QuickQuestionBudget.Stage, origin: ConnectionID?)
    /// An urgent request outside support hours, for the customer on `origin`; `key` makes it idempotent.
    case offlineUrgent(origin: ConnectionID, key: ChatRequestKey)
}

/// Chat to ticket: by the agent at any time, or by the customer accepting the offer when the budget ran out.
extension ChatEngine {
    func convert(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, category: TicketCategory,
                 severity: Int, urgent: Bool) {
        guard let live = openSession(connection, principal, id) else { return }
        guard case .staff(let staffIdentity) = principal, writer(principal, live.record) != nil else {
            return refuse(connection, .notYourSession, "Only the agent of chat \(id) can convert it.")
        }
        guard live.record.budget.stage != .converting else {
            return refuse(connection, .conversionInProgress, "Chat \(id) is already being converted.")
        }
        guard policy.severity(severity) != nil else {
            return refuse(connection, .invalidField, "Severity must be one of \(policy.severities.map(\.level)).")
        }
        let by = staff[staffIdentity.id]?.ref ?? StaffRef(id: staffIdentity.id, name: staffIdentity.name)
        beginConversion(id, category: category, severity: severity, urgent: urgent, by: by, origin: connection)
    }

    /// Asks for the ticket; the chat closes once `ticketCreated` brings its number.
    func beginConversion(_ id: SessionID, category: TicketCategory, severity: Int, urgent: Bool, by agent: StaffRef?,
                         origin: ConnectionID) {
        guard let live = sessions[id] else { return }
        let previous = live.record.budget.stage
        live.record.budget.stage = .converting
        let regionID = region(of: live.record.organizationID)
        let now = clock.now()
        let request = TicketRequest(
            id: nextTicketRequestID, organizationID: live.record.organizationID, customer: live.record.customer,
            subject: live.record.subject, productID: live.record.productID, category: category, severity: severity,
            urgent: urgent,
            description: "Converted from live chat #\(id) (\(live.record.subject)). The chat transcript is attached.",
            sessionID: id, convertedBy: agent, slaStart: live.record.createdAt, regionID: regionID,
            notifyOnCall: urgent && !isOpen(regionID, at: now))
        nextTicketRequestID += 1
        pendingTickets[request.id] = .conversion(id, previousStage: previous, origin: origin)
        out.append(.createTicket(request))
        announceBudget(id)
    }

    func handleTicketCreated(_ requestID: UInt64, number: Int64, onCallNotified: Bool) {
        guard let pending = pendingTickets.removeValue(forKey: requestID) else { return }
        switch pending {
        case let .conversion(id, _, _):
            guard let live = sessions[id], live.record.state != .closed else { return }
            live.record.ticketNumber = number
            append(id, kind: .converted, author: .system,
                   text: "This chat is now ticket #\(number). The team will follow up there; the whole conversation is attached.",
                   ticketNumber: number)
            closeSession(id, author: .system, reason: "converted")
        case let .offlineUrgent(origin, key):
            let answer = ServerMessage.ticketCreated(number: number, urgent: true, onCallNotified: onCallNotified, clientID: key.clientID)
            urgentRequests.record(key, answer: answer)
            let current = urgentRequests.origin(key) ?? origin
            urgentRequests.settle(key)
            guard connections[current] != nil else { return }
            out.send(current, answer)
        }
    }

    func handleTicketFailed(_ requestID: UInt64, message: String) {
        guard let pending = pendingTickets.removeValue(forKey: requestID) else { return }
        switch pending {
        case let .conversion(id, previous, origin):
            sessions[id]?.record.budget.stage = previous
            if sessions[id]?.record.state == .queued {
                // The long-wait offer was accepted: it stands again, and the chat may be routed meanwhile.
                sessions[id]?.record.waitOffer = .offered
                routingNeeded = true
            }
            announceBudget(id)
            if let origin, connections[origin] != nil {
                refuse(origin, .ticketCreationFailed, "The ticket could not be created (\(message)). Try again.")
            }
        case let .offlineUrgent(origin, key):
            urgentRequests.forget(key)
            if connections[origin] != nil {
                refuse(origin, .ticketCreationFailed, "The ticket could not be created (\(message)). Try again.")
            }
        }
    }
}
