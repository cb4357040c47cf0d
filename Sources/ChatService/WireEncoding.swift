import ChatCore
import Foundation

/// Encodes what the server says to JSON frames. The shapes are documented in docs/PROTOCOL.md.
/// Pure functions; safe from any thread.
enum WireEncoding {
    static func encode(_ message: ServerMessage) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        switch message {
        case .event(let event):
            json.field("type", "event")
            json.key("event"); write(event, into: &json)
        case let .ack(clientID, sessionID, seq, at):
            json.field("type", "ack")
            json.field("clientId", clientID)
            json.field("sessionId", sessionID)
            json.field("seq", seq)
            json.field("at", date: at)
        case .session(let summary):
            json.field("type", "session")
            json.key("session"); write(summary, into: &json)
        case let .queuePosition(sessionID, position, expectedWait):
            json.field("type", "queue_position")
            json.field("sessionId", sessionID)
            json.field("position", position)
            json.key("expectedWaitSeconds")
            if let expectedWait { json.int(Int64(expectedWait.rounded())) } else { json.null() }
        case let .typing(sessionID, role, active):
            json.field("type", "typing")
            json.field("sessionId", sessionID)
            json.field("role", role.rawValue)
            json.field("active", active)
        case let .read(sessionID, role, seq):
            json.field("type", "read")
            json.field("sessionId", sessionID)
            json.field("role", role.rawValue)
            json.field("seq", seq)
        case let .synced(sessionID, lastSeq):
            json.field("type", "synced")
            json.field("sessionId", sessionID)
            json.field("lastSeq", lastSeq)
        case .queue(let entries):
            json.field("type", "queue")
            json.key("entries"); json.beginArray()
            for entry in entries {
                json.beginObject()
                json.field("sessionId", entry.sessionID)
                json.field("organizationId", entry.organizationID)
                json.field("customerName", entry.customerName)
                json.field("product", entry.productID)
                json.field("subject", entry.subject)
                json.field("queuedAt", date: entry.queuedAt)
                json.field("longWait", entry.longWait)
                json.endObject()
            }
            json.endArray()
        case .agents(let loads):
            json.field("type", "agents")
            json.key("agents"); json.beginArray()
            for load in loads {
                json.beginObject()
                json.field("id", load.agent.id)
                json.field("name", load.agent.name)
                json.field("status", load.status.rawValue)
                json.field("connected", load.connected)
                json.key("activeSessions"); json.beginArray()
                for id in load.activeSessions { json.int(id) }
                json.endArray()
                json.endObject()
            }
            json.endArray()
        case .status(let status):
            json.field("type", "status")
            json.field("status", status.rawValue)
        case let .error(error, ref):
            json.field("type", "error")
            writeErrorFields(error, ref: ref, into: &json)
        case .budget(let status):
            json.field("type", "budget")
            write(status, into: &json)
        case let .ticketCreated(number, urgent, onCallNotified, clientID):
            json.field("type", "ticket_created")
            json.field("ticketNumber", number)
            json.field("urgent", urgent)
            json.field("onCallNotified", onCallNotified)
            if let clientID { json.field("clientId", clientID) }
        case let .ticketChanged(ticket, change):
            json.field("type", "ticket")
            json.field("change", change.rawValue)
            json.key("ticket"); TicketEncoding.write(ticket, into: &json)
        }
        json.endObject()
        return json.bytes
    }

    static func writeErrorFields(_ error: ChatError, ref: String?, into json: inout JSONWriter) {
        json.field("code", error.code.rawValue)
        json.field("message", error.message)
        if let alternative = error.alternative { json.field("alternative", alternative) }
        for (key, value) in error.details.sorted(by: { $0.key < $1.key }) { json.field(key, value) }
        if let ref { json.field("ref", ref) }
    }

    static func write(_ event: SessionEvent, into json: inout JSONWriter) {
        json.beginObject()
        json.field("sessionId", event.sessionID)
        json.field("seq", event.seq)
        json.field("at", date: event.at)
        json.field("kind", event.kind.rawValue)
        json.key("author")
        json.beginObject()
        json.field("role", event.author.role.rawValue)
        json.field("id", event.author.id)
        json.field("name", event.author.name)
        json.endObject()
        if let text = event.text { json.field("text", text) }
        if let clientID = event.clientMessageID { json.field("clientId", clientID) }
        if let agent = event.agent { json.field("agent", staff: agent) }
        if let reason = event.reason { json.field("reason", reason) }
        if let ticketNumber = event.ticketNumber { json.field("ticketNumber", ticketNumber) }
        if let proposal = event.proposal { json.key("proposal"); write(proposal, into: &json) }
        if let file = event.attachment { json.key("attachment"); write(file, of: event, into: &json) }
        json.endObject()
    }

    /// An `attachment` event's file: its download id and URL, name, size, sniffed type, image dimensions.
    static func write(_ file: AttachmentInfo, of event: SessionEvent, into json: inout JSONWriter) {
        let id = AttachmentInfo.downloadID(sessionID: event.sessionID, seq: event.seq)
        json.beginObject()
        json.field("id", id)
        json.field("url", "/api/attachments/\(id)")
        json.field("name", file.name)
        json.field("size", file.size)
        json.field("type", file.type)
        if let width = file.width { json.field("width", width) }
        if let height = file.height { json.field("height", height) }
        json.endObject()
    }

    static func write(_ proposal: ServicesProposal, into json: inout JSONWriter) {
        json.beginObject()
        json.field("description", proposal.description)
        json.field("rate", proposal.rateID)
        json.key("hourlyRate"); json.double(proposal.hourlyRate)
        json.field("currency", proposal.currency)
        json.key("estimateHours"); json.double(proposal.estimateHours)
        json.key("estimatedAmount"); json.double(proposal.estimatedAmount)
        json.field("proposedBy", staff: proposal.proposedBy)
        json.endObject()
    }

    /// `sessionId`, `limitSeconds`, `remainingSeconds`, `running`, `stage`, `asOf` of a budget.
    static func write(_ status: BudgetStatus, into json: inout JSONWriter) {
        json.field("sessionId", status.sessionID)
        json.key("limitSeconds"); json.double(status.limitSeconds.rounded())
        json.key("remainingSeconds"); json.double((status.remainingSeconds * 10).rounded() / 10)
        json.field("running", status.running)
        json.field("stage", status.stage.rawValue)
        json.field("asOf", date: status.asOf)
    }

    static func write(_ record: ChatSessionRecord, into json: inout JSONWriter) {
        json.field("id", record.id)
        json.field("organizationId", record.organizationID)
        json.key("customer"); json.beginObject()
        json.field("contactId", record.customer.contactID)
        json.field("name", record.customer.name)
        json.field("email", record.customer.email)
        json.endObject()
        json.field("product", record.productID)
        json.field("subject", record.subject)
        json.field("state", record.state.rawValue)
        json.field("agent", staff: record.agent)
        json.field("createdAt", date: record.createdAt)
        json.field("queuedAt", date: record.queuedAt)
        json.field("closedAt", date: record.closedAt)
        json.field("ticketNumber", record.ticketNumber)
        json.field("waitOffer", record.waitOffer.rawValue)
    }

    static func write(_ summary: SessionSummary, into json: inout JSONWriter) {
        json.beginObject()
        write(summary.record, into: &json)
        json.field("lastSeq", summary.lastSeq)
        json.field("customerReadSeq", summary.customerReadSeq)
        json.field("agentReadSeq", summary.agentReadSeq)
        json.key("budget"); json.beginObject(); write(summary.budget, into: &json); json.endObject()
        json.key("pendingProposal")
        if let proposal = summary.record.pendingProposal { write(proposal, into: &json) } else { json.null() }
        json.endObject()
    }

    /// `{"type":"error", ...}` for errors found before the engine (decoding, limits, authentication).
    static func error(_ code: ChatErrorCode, _ message: String, ref: String? = nil) -> [UInt8] {
        encode(.error(ChatError(code, message), ref: ref))
    }
}

extension WireEncoding {
    /// The answer to a successful hello: who you are and the limits that apply.
    static func welcome(_ principal: Principal, organization: OrganizationRecord?, config: ServerConfig,
                        policy: SupportPolicy, now: Date, availability: ChatAvailability? = nil) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("type", "welcome")
        json.field("serverTime", date: now)
        writePrincipal(principal, into: &json)
        if let organization {
            json.key("organization"); json.beginObject()
            json.field("id", organization.id)
            json.field("name", organization.name)
            json.field("plan", organization.planID)
            json.field("liveChat", policy.plan(organization.planID)?.liveChat ?? false)
            json.endObject()
        }
        json.key("products"); json.beginArray()
        for product in policy.products {
            json.beginObject()
            json.field("id", product.id); json.field("name", product.name); json.field("chatOffered", product.chatOffered)
            json.endObject()
        }
        json.endArray()
        if let availability {
            json.key("availability"); json.beginObject()
            json.field("chatOpen", availability.isOpen)
            json.field("reason", availability.reason?.rawValue)
            json.field("nextOpening", date: availability.nextOpening)
            json.key("chatProducts"); json.beginArray(); for id in availability.chatProducts { json.string(id) }; json.endArray()
            json.field("queueLength", availability.queueLength)
            json.key("expectedWaitSeconds")
            if let wait = availability.expectedWaitSeconds { json.int(Int64(wait.rounded())) } else { json.null() }
            json.endObject()
        }
        if principal.isStaff {
            // What agents offer in chats: the policy's professional-services rates.
            json.key("serviceRates"); json.beginArray()
            for rate in policy.serviceRates {
                json.beginObject()
                json.field("id", rate.id); json.field("name", rate.name)
                json.key("hourlyRate"); json.double(rate.hourlyRate)
                json.field("currency", rate.currency)
                json.endObject()
            }
            json.endArray()
        }
        json.key("limits"); json.beginObject()
        json.field("maxFrameBytes", config.maxFrameBytes)
        json.field("maxMessageLength", config.maxMessageLength)
        json.key("messagesPerSecond"); json.double(config.messagesPerSecond)
        json.key("messageBurst"); json.double(config.messageBurst)
        // Staff: the most chats one agent holds, so a console offers transfers only to agents under it.
        if principal.isStaff { json.field("agentSessionCap", config.agentSessionCap) }
        json.endObject()
        json.endObject()
        return json.bytes
    }
}

extension WireEncoding {
    /// `"role": ..., "customer"|"staff": {...}` fields for an authenticated principal.
    static func writePrincipal(_ principal: Principal, into json: inout JSONWriter) {
        switch principal {
        case .customer(let customer):
            json.field("role", "customer")
            json.key("customer"); json.beginObject()
            json.field("organizationId", customer.organizationID)
            json.field("contactId", customer.contactID)
            json.field("name", customer.name)
            json.field("email", customer.email)
            json.endObject()
        case .staff(let staff):
            json.field("role", staff.role.rawValue)
            json.key("staff"); json.beginObject()
            json.field("id", staff.id)
            json.field("username", staff.username)
            json.field("name", staff.name)
            json.endObject()
        }
    }
}

extension JSONWriter {
    /// `"name": {"id": ..., "name": ...}` or `"name": null`.
    mutating func field(_ name: String, staff: StaffRef?) {
        key(name)
        guard let staff else { return null() }
        beginObject()
        field("id", staff.id)
        field("name", staff.name)
        endObject()
    }
}
