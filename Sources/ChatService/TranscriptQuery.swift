import ChatCore
import ChatStorage
import Foundation

/// Parses `GET /api/transcripts` query parameters into a filter. Pure.
/// Parameters: organization, contact, agent (staff id), from, to (ISO 8601 date or date-time; `to` exclusive),
/// state (queued|active|closed), outcome (open|closed|converted), limit (1-500, default 100), offset (>= 0),
/// cursor (keyset: the previous page's `nextCursor`; not with offset).
/// A bad value is `invalid_field` naming the parameter (`field`).
enum TranscriptQuery {
    static func parse(_ query: [String: String]) -> Result<TranscriptFilter, ChatError> {
        do { try TicketRoutes.rejectControlCharacters(query) } catch { return .failure(error) }
        var filter = TranscriptFilter()
        filter.organizationID = query["organization"].flatMap { $0.isEmpty ? nil : $0 }
        filter.contactID = query["contact"].flatMap { $0.isEmpty ? nil : $0 }
        if let agent = query["agent"], !agent.isEmpty {
            guard let id = StaffID(agent), id > 0 else { return .failure(.invalidParameter("agent", "must be a staff id (a positive integer).")) }
            filter.agentID = id
        }
        for (name, apply) in [("from", { (d: Date) in filter.from = d }), ("to", { (d: Date) in filter.to = d })] {
            guard let text = query[name], !text.isEmpty else { continue }
            guard let date = ISOTime.parse(text) else {
                return .failure(.invalidParameter(name, "must be an ISO 8601 date such as 2026-11-21 or 2026-11-21T09:00:00Z."))
            }
            apply(date)
        }
        if let state = query["state"], !state.isEmpty {
            guard let parsed = SessionState(rawValue: state) else {
                return .failure(.invalidParameter("state", "must be queued, active or closed."))
            }
            filter.state = parsed
        }
        if let outcome = query["outcome"], !outcome.isEmpty {
            guard let parsed = TranscriptOutcome(rawValue: outcome) else {
                return .failure(.invalidParameter("outcome", "must be open, closed or converted."))
            }
            filter.outcome = parsed
        }
        if let limit = query["limit"], !limit.isEmpty {
            guard let value = Int(limit), (1...500).contains(value) else {
                return .failure(.invalidParameter("limit", "must be an integer between 1 and 500."))
            }
            filter.limit = value
        }
        if let offset = query["offset"], !offset.isEmpty {
            guard let value = Int(offset), value >= 0 else { return .failure(.invalidParameter("offset", "must be an integer ≥ 0.")) }
            filter.offset = value
        }
        if let cursor = query["cursor"], !cursor.isEmpty {
            guard let parsed = TranscriptCursor(token: cursor) else {
                return .failure(.invalidParameter("cursor", "must be the nextCursor of a previous page."))
            }
            guard filter.offset == 0 else {
                return .failure(.invalidParameter("cursor", "cannot be combined with offset."))
            }
            filter.after = parsed
        }
        return .success(filter)
    }
}
