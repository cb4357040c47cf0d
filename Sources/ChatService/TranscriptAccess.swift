import ChatCore
import ChatStorage
import Foundation

/// Who may list and read which transcripts. Pure; safe from any thread.
///
/// - Customers: only their own chats (their organization and contact); naming another organization is refused.
/// - Agents: list the chats they handled (were assigned at some point); naming another agent is refused. They
///   may read those, and any chat converted to a ticket (whoever works the ticket needs its transcript).
/// - Supervisors: everything.
enum TranscriptAccess {
    static func scope(_ principal: Principal, _ requested: TranscriptFilter) -> Result<TranscriptFilter, ChatError> {
        var filter = requested
        switch principal {
        case .customer(let customer):
            if let org = requested.organizationID, org != customer.organizationID {
                return .failure(ChatError(.forbidden, "You can only read your own organization's transcripts."))
            }
            if let contact = requested.contactID, contact != customer.contactID {
                return .failure(ChatError(.forbidden, "You can only read your own transcripts."))
            }
            if requested.agentID != nil {
                return .failure(ChatError(.forbidden, "Customers cannot filter by agent."))
            }
            filter.organizationID = customer.organizationID
            filter.contactID = customer.contactID
        case .staff(let staff):
            if staff.role == .agent {
                if let agent = requested.agentID, agent != staff.id {
                    return .failure(ChatError(.forbidden, "Agents can only list the chats they handled."))
                }
                filter.agentID = staff.id
            }
        }
        return .success(filter)
    }

    /// Who may read one transcript: `SessionAccess.mayReadTranscript`, the one home of that rule.
    static func mayRead(_ principal: Principal, _ record: ChatSessionRecord, events: [SessionEvent]) -> Bool {
        let handledBy = Set(events.compactMap { $0.kind == .joined || $0.kind == .transferred ? $0.agent?.id : nil })
        return SessionAccess.mayReadTranscript(principal, record, handledBy: handledBy)
    }
}
