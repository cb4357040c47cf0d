import ChatCore
import ChatStorage
import Foundation

/// Parses `GET /api/audit` query parameters. Pure.
/// Parameters: staff (staff id), action (an `AuditAction`), from, to (ISO 8601 date or date-time; `to` exclusive),
/// before (keyset cursor: the previous page's `nextBefore`), limit (1-500, default 100).
enum AuditQuery {
    static func parse(_ query: [String: String]) -> Result<AuditFilter, ChatError> {
        do { try TicketRoutes.rejectControlCharacters(query) } catch { return .failure(error) }
        var filter = AuditFilter()
        if let text = query["staff"], !text.isEmpty {
            guard let id = StaffID(text), id > 0 else { return .failure(.invalidParameter("staff", "must be a staff id (a positive integer).")) }
            filter.staffID = id
        }
        if let text = query["action"], !text.isEmpty {
            guard let action = AuditAction(rawValue: text) else {
                return .failure(.invalidParameter("action", "must be one of: \(AuditAction.allCases.map(\.rawValue).joined(separator: ", "))."))
            }
            filter.action = action
        }
        for name in ["from", "to"] {
            guard let text = query[name], !text.isEmpty else { continue }
            guard let date = ISOTime.parse(text) else {
                return .failure(.invalidParameter(name, "must be an ISO 8601 date such as 2026-11-21 or 2026-11-21T09:00:00Z."))
            }
            if name == "from" { filter.from = date } else { filter.to = date }
        }
        if let text = query["before"], !text.isEmpty {
            guard let id = Int64(text), id > 0 else { return .failure(.invalidParameter("before", "must be a positive integer (nextBefore of the previous page).")) }
            filter.beforeID = id
        }
        if let text = query["limit"], !text.isEmpty {
            guard let value = Int(text), (1...AuditFilter.maxLimit).contains(value) else {
                return .failure(.invalidParameter("limit", "must be an integer between 1 and \(AuditFilter.maxLimit)."))
            }
            filter.limit = value
        }
        return .success(filter)
    }
}
