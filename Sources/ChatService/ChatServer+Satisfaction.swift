import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// `POST /api/transcripts/{id}/rating` (the chat's customer rates it once closed) and `GET /api/analytics` /
/// `GET /api/analytics.csv` (supervisors). Storage work runs on the blocking workers.
extension ChatServer {
    static let maxRatingComment = 1000

    func rateChat(_ request: HTTPRequest, _ id: SessionID) {
        authenticate(request) { server, principal in
            guard case .customer(let customer) = principal else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Only the chat's customer rates it."))
            }
            let rating: Int, comment: String?
            switch Self.ratingBody(request.body) {
            case .success(let parsed): (rating, comment) = parsed
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store
            let now = server.clock.now()
            let window = server.config.csatChangeWindowSeconds
            server.blocking(request) {
                let outcome = try store.rate(sessionID: id, organizationID: customer.organizationID,
                                             contactID: customer.contactID, rating: rating, comment: comment, at: now,
                                             changeWindowSeconds: window)
                let response: HTTPResponse
                switch outcome {
                case .stored(let stored):
                    response = HTTPReplies.json(200) { json in json.key("rating"); Self.write(stored, into: &json) }
                case .notFound, .notYours:   // another customer's chat is not theirs to know of
                    response = HTTPReplies.error(.notFound, "There is no chat \(id) of yours.")
                case .notClosed:
                    response = HTTPReplies.error(.chatNotClosed, "Chat \(id) is still open: rate it once it has ended.")
                case .locked(let kept):
                    response = HTTPReplies.error(ChatError(.ratingLocked,
                        "Chat \(id) was rated \(kept.rating) more than \(Int(window / 60)) minutes ago; the rating can no longer change."))
                }
                return { server in server.respond(request, response) }
            }
        }
    }

    /// `{"rating": 1-5, "comment": "..." (optional, at most 1,000 characters)}`.
    static func ratingBody(_ body: [UInt8]) -> Result<(Int, String?), ChatError> {
        Result { () throws(ChatError) in
            let object = try JSONBody.object(body)
            guard let raw = object["rating"], !WireDecoding.isBoolean(raw), let number = raw as? NSNumber,
                  Double(number.intValue) == number.doubleValue, (1...5).contains(number.intValue) else {
                throw ChatError.invalidParameter("rating", "must be an integer from 1 to 5.")
            }
            let rating = number.intValue
            var comment: String?
            if let value = object["comment"], !(value is NSNull) {
                guard let text = value as? String, text.count <= maxRatingComment, !text.hasDisallowedControlCharacters else {
                    throw ChatError.invalidParameter("comment", "must be text of at most \(maxRatingComment) characters.")
                }
                comment = text.isEmpty ? nil : text
            }
            return (rating, comment)
        }
    }

    static func write(_ rating: ChatRating, into json: inout JSONWriter) {
        json.beginObject()
        json.field("rating", rating.rating)
        json.field("comment", rating.comment)
        json.field("ratedAt", date: rating.ratedAt)
        json.endObject()
    }
}

extension ChatServer {
    /// Supervisors: the analytics of chats created in `[from, to)` (default: the last 30 days), optionally of one
    /// organization, product or agent; as JSON, or as CSV (`csv: true`).
    func serveAnalytics(_ request: HTTPRequest, csv: Bool) {
        let now = clock.now()
        let query: AnalyticsQuery
        switch Self.analyticsQuery(request.query, now: now) {
        case .success(let parsed): query = parsed
        case .failure(let error): return respond(request, HTTPReplies.error(error))
        }
        authenticate(request) { server, principal in
            guard case .staff(let staff) = principal, staff.role == .supervisor else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Analytics are for supervisors."))
            }
            let store = server.store, policy = server.engine.policy
            server.blocking(request) {
                var report = try store.analytics(query, now: now)
                AnalyticsEncoding.nameProducts(&report, policy: policy)
                let response = csv ? AnalyticsEncoding.csv(report, query) : AnalyticsEncoding.json(report, query)
                return { server in server.respond(request, response) }
            }
        }
    }

    static func analyticsQuery(_ parameters: [String: String], now: Date) -> Result<AnalyticsQuery, ChatError> {
        do { try TicketRoutes.rejectControlCharacters(parameters) } catch { return .failure(error) }
        var dates: [String: Date] = [:]
        for name in ["from", "to"] {
            guard let text = parameters[name], !text.isEmpty else { continue }
            guard let date = ISOTime.parse(text) else {
                return .failure(.invalidParameter(name, "must be an ISO 8601 date such as 2026-11-01 or 2026-11-01T09:00:00Z."))
            }
            dates[name] = date
        }
        let to = dates["to"] ?? now
        let from = dates["from"] ?? to.addingTimeInterval(-30 * 86_400)
        guard from < to else { return .failure(.invalidParameter("from", "must be before to.")) }
        var query = AnalyticsQuery(from: from, to: to)
        query.organizationID = parameters["organization"].flatMap { $0.isEmpty ? nil : $0 }
        query.productID = parameters["product"].flatMap { $0.isEmpty ? nil : $0 }
        if let agent = parameters["agent"], !agent.isEmpty {
            guard let id = StaffID(agent), id > 0 else {
                return .failure(.invalidParameter("agent", "must be a staff id (a positive integer)."))
            }
            query.agentID = id
        }
        return .success(query)
    }
}
