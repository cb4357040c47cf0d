import ChatCore
import ChatStorage
import Foundation

/// A customer's new ticket, as sent to `POST /api/tickets`, trimmed and validated against the policy.
struct NewTicketRequest: Equatable {
    var subject: String
    var productID: String
    var category: TicketCategory
    var severity: Int
    var description: String
    var urgent: Bool
}

/// Parses ticket route paths, bodies and queries. Pure; safe from any thread. A body that is not a JSON object is
/// `malformed_json`; every other refusal is `invalid_field` with a sentence naming the field or parameter.
enum TicketRoutes {
    static func number(_ text: String) -> Result<Int64, ChatError> {
        guard let number = Int64(text), number > 0 else {
            return .failure(ChatError(.invalidField, "A ticket number is a positive integer."))
        }
        return .success(number)
    }

    /// `{"subject", "product", "category", "severity", "description", "urgent"?}`.
    static func newTicket(_ body: [UInt8], policy: SupportPolicy) -> Result<NewTicketRequest, ChatError> {
        do {
            let fields = try object(body)
            let subject = try string(fields, "subject")
            let product = try string(fields, "product")
            guard let categoryText = fields["category"] as? String, let category = TicketCategory(rawValue: categoryText) else {
                throw ChatError(.invalidField, "category must be request or incident.")
            }
            guard let raw = fields["severity"], !WireDecoding.isBoolean(raw), let number = raw as? NSNumber,
                  let severity = Int(exactly: number.doubleValue) else {
                throw ChatError(.invalidField, "severity must be an integer.")
            }
            let description = try string(fields, "description")
            var urgent = false
            if let raw = fields["urgent"], !(raw is NSNull) {
                guard WireDecoding.isBoolean(raw), let value = raw as? Bool else {
                    throw ChatError(.invalidField, "urgent must be true or false.")
                }
                urgent = value
            }
            try TicketRules.validateNew(subject: subject, productID: product, severity: severity,
                                        description: description, policy: policy)
            return .success(NewTicketRequest(subject: subject, productID: product, category: category,
                                             severity: severity, description: description, urgent: urgent))
        } catch let error as ChatError {
            return .failure(error)
        } catch {
            return .failure(ChatError(.invalidField, "\(error)"))
        }
    }

    /// `{"text"}`, trimmed (its length is checked by `TicketRules.reply`).
    static func replyText(_ body: [UInt8]) -> Result<String, ChatError> {
        Result { () throws(ChatError) in try string(try object(body), "text") }
    }

    /// `{"status"}`: one of the status raw values.
    static func status(_ body: [UInt8]) -> Result<TicketStatus, ChatError> {
        Result { () throws(ChatError) in
            guard let text = try object(body)["status"] as? String, let status = TicketStatus(rawValue: text) else {
                throw ChatError(.invalidField, "status must be one of: \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            return status
        }
    }

    /// `GET /api/tickets` parameters: status, severity (a level of the policy), organization, contact,
    /// urgent (true|false), due (ISO 8601 instant: unanswered, not closed, first response due before it),
    /// limit (1-500, default 100), offset (>= 0). A bad value is `invalid_field` naming the parameter.
    static func filter(_ query: [String: String], policy: SupportPolicy) -> Result<TicketFilter, ChatError> {
        Result { () throws(ChatError) in
            try rejectControlCharacters(query)
            var filter = TicketFilter()
            filter.organizationID = query["organization"].flatMap { $0.isEmpty ? nil : $0 }
            filter.contactID = query["contact"].flatMap { $0.isEmpty ? nil : $0 }
            if let text = query["status"], !text.isEmpty {
                guard let status = TicketStatus(rawValue: text) else {
                    throw .invalidParameter("status", "must be one of: \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                filter.status = status
            }
            if let text = query["severity"], !text.isEmpty {
                let levels = policy.severities.map(\.level).sorted()
                guard let severity = Int(text), levels.contains(severity) else {
                    throw .invalidParameter("severity", "must be a severity level of the policy: \(levels.map(String.init).joined(separator: ", ")).")
                }
                filter.severity = severity
            }
            if let text = query["urgent"], !text.isEmpty {
                switch text {
                case "true": filter.urgent = true
                case "false": filter.urgent = false
                default: throw .invalidParameter("urgent", "must be true or false.")
                }
            }
            if let text = query["due"], !text.isEmpty {
                guard let due = ISOTime.parse(text) else {
                    throw .invalidParameter("due", "must be an ISO 8601 instant such as 2026-11-21T09:00:00Z.")
                }
                filter.dueBefore = due
            }
            if let text = query["assignee"], !text.isEmpty {
                if text == "none" {
                    filter.unassignedOnly = true
                } else {
                    guard let id = StaffID(text), id > 0 else {
                        throw .invalidParameter("assignee", "must be a staff id or none.")
                    }
                    filter.assigneeID = id
                }
            }
            if let text = query["limit"], !text.isEmpty {
                guard let limit = Int(text), (1...TicketFilter.maxLimit).contains(limit) else {
                    throw .invalidParameter("limit", "must be an integer between 1 and \(TicketFilter.maxLimit).")
                }
                filter.limit = limit
            }
            if let text = query["offset"], !text.isEmpty {
                guard let offset = Int(text), offset >= 0 else { throw .invalidParameter("offset", "must be an integer ≥ 0.") }
                filter.offset = offset
            }
            return filter
        }
    }

    /// Query values are compared with stored ids and bound into SQL as C strings: refuse controls (a NUL would
    /// cut the value short) as the JSON fields do.
    static func rejectControlCharacters(_ query: [String: String]) throws(ChatError) {
        for (name, value) in query where name.hasDisallowedControlCharacters || value.hasDisallowedControlCharacters {
            throw ChatError(.invalidField, WireDecoding.controlCharacterMessage(name))
        }
    }

    /// `{"text"}` of an internal note: trimmed, 1-20000 characters.
    static func noteText(_ body: [UInt8]) -> Result<String, ChatError> {
        Result { () throws(ChatError) in
            let text = try string(try object(body), "text")
            guard text.count <= TicketRules.maxTextLength else {
                throw ChatError(.invalidField, "text must be at most \(TicketRules.maxTextLength) characters.")
            }
            return text
        }
    }

    /// `{"staffId": N | null}`: whom to assign (nil: nobody).
    static func assignee(_ body: [UInt8]) -> Result<StaffID?, ChatError> {
        Result { () throws(ChatError) in
            let fields = try object(body)
            guard let raw = fields["staffId"] else { throw ChatError(.invalidField, "staffId (a staff id or null) is required.") }
            if raw is NSNull { return nil }
            guard !WireDecoding.isBoolean(raw), let number = raw as? NSNumber, let id = StaffID(exactly: number.doubleValue),
                  id > 0 else {
                throw ChatError(.invalidField, "staffId must be a staff id or null.")
            }
            return id
        }
    }

    private static func object(_ body: [UInt8]) throws(ChatError) -> [String: Any] {
        try JSONBody.object(body)
    }

    /// A required string field, trimmed, not empty.
    private static func string(_ fields: [String: Any], _ name: String) throws(ChatError) -> String {
        guard let value = fields[name] as? String else { throw ChatError(.invalidField, "\(name) (a string) is required.") }
        if value.hasDisallowedControlCharacters {
            throw ChatError(.invalidField, WireDecoding.controlCharacterMessage(name))
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { throw ChatError(.invalidField, "\(name) must not be empty.") }
        return trimmed
    }
}
