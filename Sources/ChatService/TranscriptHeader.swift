import ChatCore
import ChatStorage
import Foundation

/// What the top of a transcript says, with names instead of ids: the reader's header (`summary` of
/// `GET /api/transcripts/{id}`) and every export format. Built on a worker from the session row, its header
/// facts and the policy; plain value, any thread.
struct TranscriptHeader: Sendable {
    var record: ChatSessionRecord
    var lastSeq: Seq
    var organizationName: String
    var productName: String
    var facts: TranscriptFacts
    var orders: [StoredServiceOrder]
    /// Names of the staff who proposed the service orders.
    var staffNames: [StaffID: String]

    /// `open`, `closed` or `converted` (as the listing's `outcome` filter).
    var outcome: TranscriptOutcome {
        if record.state != .closed { return .open }
        return record.ticketNumber == nil ? .closed : .converted
    }

    var outcomeText: String {
        switch outcome {
        case .open: return record.state == .queued ? "Queued" : "Open"
        case .closed: return "Closed in the chat"
        case .converted: return "Converted to ticket #\(record.ticketNumber ?? 0)"
        }
    }

    /// From the request to the close; nil while open.
    var durationSeconds: Double? { record.closedAt.map { $0.timeIntervalSince(record.createdAt) } }
    /// From the request to the first agent joining; nil if no agent ever joined.
    var waitSeconds: Double? { facts.firstJoinedAt.map { $0.timeIntervalSince(record.createdAt) } }

    var agentNames: String {
        let names = facts.agents.map(\.name)
        if names.isEmpty { return record.agent?.name ?? "none" }
        return names.joined(separator: ", ")
    }

    /// "1 h 02 min 05 s", "4 min 10 s", "12 s".
    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "—" }
        let total = Int(seconds.rounded())
        let h = total / 3600, m = (total % 3600) / 60, s = total % 60
        if h > 0 { return "\(h) h \(String(format: "%02d", m)) min \(String(format: "%02d", s)) s" }
        if m > 0 { return "\(m) min \(s) s" }
        return "\(s) s"
    }

    static func money(_ amount: Double, _ currency: String) -> String { "\(currency) \(String(format: "%.2f", amount))" }

    /// The lines every human-readable format shows, label and value, in order.
    var lines: [(label: String, value: String)] {
        var lines: [(String, String)] = [
            ("Chat", "\(record.id): \(record.subject)"),
            ("Organization", "\(organizationName) (\(record.organizationID))"),
            ("Customer", "\(record.customer.name) <\(record.customer.email)>"),
            ("Product", productName),
            ("Agents", agentNames),
            ("Started", ISOTime.format(record.createdAt)),
            ("Ended", record.closedAt.map(ISOTime.format) ?? "still open"),
            ("Outcome", outcomeText),
            ("Duration", durationSeconds == nil ? "still open" : Self.duration(durationSeconds)),
            ("Wait", waitSeconds == nil ? "no agent joined" : Self.duration(waitSeconds)),
        ]
        if let ticket = record.ticketNumber { lines.append(("Ticket", "#\(ticket)")) }
        return lines
    }

    /// One service order in words.
    func orderText(_ order: StoredServiceOrder) -> String {
        let hours = order.estimateHours.map { String(format: "%g h", $0) } ?? "no estimate"
        let by = staffNames[order.proposedBy] ?? "staff \(order.proposedBy)"
        return "\(order.description) — \(order.rateID), \(Self.money(order.hourlyRate, order.currency))/h, \(hours); proposed by \(by), accepted \(ISOTime.format(order.acceptedAt))"
    }

    /// The `summary` object of the reader's first page and of the JSON export.
    func writeSummary(into json: inout JSONWriter) {
        json.beginObject()
        json.field("organizationName", organizationName)
        json.field("productName", productName)
        json.field("outcome", outcome.rawValue)
        json.field("outcomeText", outcomeText)
        json.key("durationSeconds"); if let d = durationSeconds { json.double(d.rounded()) } else { json.null() }
        json.key("waitSeconds"); if let w = waitSeconds { json.double(w.rounded()) } else { json.null() }
        json.field("firstJoinedAt", date: facts.firstJoinedAt)
        json.key("agents"); json.beginArray()
        for agent in facts.agents {
            json.beginObject(); json.field("id", agent.id); json.field("name", agent.name); json.endObject()
        }
        json.endArray()
        json.field("ticketNumber", record.ticketNumber)
        json.endObject()
    }

    /// Reads what the header needs: organization and staff names, facts, service orders. Blocking (worker).
    static func load(_ stored: StoredSession, store: any StorageBackend, policy: SupportPolicy) throws -> TranscriptHeader {
        let record = stored.record
        let organizationName = try store.organizationNames(ids: [record.organizationID])[record.organizationID]
            ?? record.organizationID
        let facts = try store.transcriptFacts(sessionID: record.id)
        let orders = try store.serviceOrders(sessionID: record.id)
        let staffNames = try store.staffNames(ids: Set(orders.map(\.proposedBy)))
        return TranscriptHeader(record: record, lastSeq: stored.lastSeq, organizationName: organizationName,
                                productName: policy.product(record.productID)?.name ?? record.productID,
                                facts: facts, orders: orders, staffNames: staffNames)
    }
}
