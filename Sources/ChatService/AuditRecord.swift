import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// Builds the audit entries of staff requests (who, what, when, from which address). Pure; any thread.
/// Customers reading their own chats are not audited: the log is about staff access to customers' conversations.
enum AuditRecord {
    static func entry(_ principal: Principal, _ request: HTTPRequest, _ action: AuditAction, target: String? = nil,
                      detail: String? = nil, at: Date) -> AuditEntry? {
        guard case .staff(let staff) = principal else { return nil }
        return AuditEntry(at: at, staffID: staff.id, staffName: staff.name, staffRole: staff.role, action: action,
                          target: target, detail: detail ?? canonicalQuery(request.query), address: request.peerAddress)
    }

    /// The request's query as `name=value&...` sorted by name, empty values left out; nil if nothing is left.
    static func canonicalQuery(_ query: [String: String]) -> String? {
        let parts = query.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return parts.isEmpty ? nil : parts.joined(separator: "&")
    }
}

extension StorageBackend {
    /// Appends the entry, if any (worker thread; see `ChatStore+Audit.swift`).
    func record(_ entry: AuditEntry?) throws {
        if let entry { try appendAudit([entry]) }
    }
}
