import Foundation

/// A `request_chat` waiting for storage to say whether its key already made a chat.
struct PendingChatRequest {
    var connection: ConnectionID
    var customer: CustomerIdentity
    var productID: String
    var subject: String
    var text: String
    var urgent: Bool
    var timeZone: String?
}

extension ChatEngine {
    func requestChat(_ connection: ConnectionID, _ principal: Principal, productID: String, subject: String,
                     text: String, clientID: String, urgent: Bool, timeZone: String?) {
        guard case .customer(let customer) = principal else {
            return refuse(connection, .forbidden, "Only customers can request a chat.", ref: clientID)
        }
        let key = ChatRequestKey(customer, clientID: clientID)
        if let existing = requests[key], sessions[existing] != nil {
            return resendRequest(connection, existing, clientID: clientID)
        }
        let request = PendingChatRequest(connection: connection, customer: customer, productID: productID, subject: subject,
                                         text: text, urgent: urgent, timeZone: timeZone)
        // The ledger of every request ever made is in storage: ask it before creating anything. Resends that
        // arrive while it answers wait with the first.
        if requestLookups[key] != nil {
            requestLookups[key]?.append(request)
            return
        }
        requestLookups[key] = [request]
        out.append(.findChatRequest(key))
    }

    func handleChatRequestFound(_ key: ChatRequestKey, session: StoredSession?, firstEvent: SessionEvent?) {
        guard let waiting = requestLookups.removeValue(forKey: key) else { return }
        for request in waiting where connections[request.connection] != nil {
            if let existing = requests[key], sessions[existing] != nil {
                resendRequest(request.connection, existing, clientID: key.clientID)
            } else if let session, let firstEvent {
                // The chat this request made has left memory (closed): the same answer as then, never a second chat.
                // (A row without its request event is a chat whose request was never stored and is being
                // abandoned: nobody was told of it, so the request is new.)
                out.send(request.connection, .session(SessionSummary(
                    record: session.record, lastSeq: session.lastSeq, customerReadSeq: session.customerReadSeq,
                    agentReadSeq: session.agentReadSeq, asOf: clock.now())))
                out.send(request.connection, .ack(clientID: key.clientID, sessionID: session.record.id, seq: firstEvent.seq,
                                                  at: firstEvent.at))
            } else {
                createChat(request, key: key)
            }
        }
    }

    /// The checks and creation of a new chat, once storage confirmed that the request is new.
    private func createChat(_ request: PendingChatRequest, key: ChatRequestKey) {
        let connection = request.connection, customer = request.customer, clientID = key.clientID
        if let error = eligibility(customer, productID: request.productID) {
            return out.send(connection, .error(error, ref: clientID))
        }
        let subject = request.subject.trimmingCharacters(in: .whitespacesAndNewlines)
        let text = request.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !subject.isEmpty, subject.unicodeScalars.count <= config.maxSubjectLength else {
            return refuse(connection, .invalidField, "A subject of 1 to \(config.maxSubjectLength) characters is required.", ref: clientID)
        }
        guard !text.isEmpty else {
            return refuse(connection, .invalidField, "The first message must not be empty.", ref: clientID)
        }
        guard text.unicodeScalars.count <= config.maxMessageLength else {
            return refuse(connection, .messageTooLong, "Messages are limited to \(config.maxMessageLength) characters.", ref: clientID)
        }
        if let open = sessions.values.first(where: {
            $0.record.customer.organizationID == customer.organizationID
                && $0.record.customer.contactID == customer.contactID && $0.record.state != .closed
        }) {
            return refuse(connection, .alreadyInChat, "You already have an open chat (\(open.record.id)).", ref: clientID)
        }
        if handleOutsideHours(connection, customer, productID: request.productID, subject: subject, text: text,
                              urgent: request.urgent, timeZone: request.timeZone, key: key) {
            return
        }
        registerContact(customer)
        let now = clock.now()
        let id = nextSessionID
        nextSessionID += 1
        let record = ChatSessionRecord(id: id, organizationID: customer.organizationID, customer: customer,
                                       productID: request.productID, subject: subject, state: .queued, createdAt: now,
                                       queuedAt: now, requestClientID: clientID, budget: newBudget())
        sessions[id] = LiveSession(record: record, lastSeq: 0, tail: [], clientIDs: [:])
        requests[key] = id
        out.persist(.createSession(record))
        subscribe(connection, to: id, afterSeq: 0)
        append(id, kind: .requested, author: Participant(role: .customer, id: customer.contactID, name: customer.name),
               text: text, clientID: clientID, origin: connection)
        queue.append(id)
        boardChanged = true
        routingNeeded = true
        deadlinesChanged = true
    }

    /// The same request again (a resend after a drop): acknowledge once more, never create a second session.
    private func resendRequest(_ connection: ConnectionID, _ id: SessionID, clientID: String) {
        subscribe(connection, to: id, afterSeq: 0, sendSummary: false)
        guard let live = sessions[id] else { return }
        if live.committedSeq >= 1 {
            out.send(connection, .session(live.summary(at: clock.now())))
            let customer = live.record.customer
            acknowledgeAgain(connection, live, key: ClientMessageKey(
                author: AuthorKey(role: .customer, id: customer.contactID), clientID: clientID), seq: 1)
        } else if let index = live.pending.firstIndex(where: { $0.event.seq == 1 }) {
            live.pending[index].origin = connection
        }
    }

    /// Decides whether a customer may open a chat about a product, per the policy. Nil means yes.
    func eligibility(_ customer: CustomerIdentity, productID: String) -> ChatError? {
        guard let product = policy.product(productID) else {
            return ChatError(.unknownProduct, "We do not know the product \"\(productID)\".")
        }
        guard product.chatOffered else {
            return ChatError(.productExcludesChat,
                             "Live chat is not offered for \(product.name). Please open a ticket instead.",
                             alternative: "ticket")
        }
        guard let organization = organizations[customer.organizationID] else {
            return ChatError(.unknownOrganization, "Your organization is not registered for support.")
        }
        guard let plan = policy.plan(organization.planID) else {
            return ChatError(.planExcludesChat, "Your organization's plan does not include live chat. Please open a ticket instead.",
                             alternative: "ticket")
        }
        guard plan.liveChat else {
            let lowest = policy.plans.filter(\.liveChat).min { $0.rank < $1.rank }
            let upgrade = lowest.map { " Live chat is included from the \($0.name) plan up." } ?? ""
            return ChatError(.planExcludesChat,
                             "Your organization's \(plan.name) plan does not include live chat.\(upgrade) Please open a ticket instead.",
                             alternative: "ticket")
        }
        if !organization.authorizedContacts.contains(customer.contactID)
            && organization.authorizedContacts.count >= plan.authorizedContacts {
            return ChatError(.authorizedContactsExceeded,
                             "Your organization's \(plan.name) plan allows \(plan.authorizedContacts) authorized contacts, and all are taken. Ask one of them, or open a ticket.",
                             alternative: "ticket")
        }
        return nil
    }

    private func registerContact(_ customer: CustomerIdentity) {
        guard var organization = organizations[customer.organizationID],
              !organization.authorizedContacts.contains(customer.contactID) else { return }
        organization.authorizedContacts.insert(customer.contactID)
        organizations[customer.organizationID] = organization
        out.persist(.registerContact(customer.organizationID, customer.contactID))
    }
}
