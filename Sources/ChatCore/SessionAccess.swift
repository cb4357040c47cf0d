/// Who may see what of a chat: the one home of these rules. The engine (live events, replays, commands), the
/// HTTP transcript routes and the history readers all ask here, so a rule changes in one place. Pure; any thread.
///
/// | principal            | follow live (open chat)         | read the stored transcript                          |
/// |----------------------|---------------------------------|-----------------------------------------------------|
/// | customer             | own chats (organization+contact)| own chats                                           |
/// | agent                | the chat assigned to them; any  | chats they were assigned at some point; any chat    |
/// |                      | chat while it waits in the queue| converted to a ticket                               |
/// | supervisor           | every chat                      | every chat                                          |
///
/// Content kinds: every event kind is visible to whoever may read the chat (`Audience.everyone`); a kind meant
/// for staff only is declared in `SessionEventKind.audience` and filtered by `mayReceive`.
public enum SessionAccess {
    /// Whether `principal` may follow a session's live events (and replay it) over the WebSocket right now.
    /// For a closed chat this is the transcript rule; `handledBy` lists staff once assigned to it (for closed chats;
    /// ignored for open ones).
    public static func mayFollow(_ principal: Principal, _ record: ChatSessionRecord,
                                 handledBy: Set<StaffID> = []) -> Bool {
        if record.state == .closed { return mayReadTranscript(principal, record, handledBy: handledBy) }
        switch principal {
        case .customer(let customer):
            return isOwner(customer, record)
        case .staff(let identity):
            return identity.role == .supervisor || record.agent?.id == identity.id || record.state == .queued
        }
    }

    /// Whether `principal` may read the stored transcript of a session (open or closed).
    /// `handledBy`: the staff ids ever assigned to the chat (joined or transferred to).
    public static func mayReadTranscript(_ principal: Principal, _ record: ChatSessionRecord,
                                         handledBy: Set<StaffID>) -> Bool {
        switch principal {
        case .customer(let customer):
            return isOwner(customer, record)
        case .staff(let identity):
            if identity.role == .supervisor { return true }
            return record.agent?.id == identity.id || record.ticketNumber != nil || handledBy.contains(identity.id)
        }
    }

    /// The participant `principal` acts as in the chat: its customer, or its current (once closed: last) agent.
    /// Nil for anyone else, supervisors included (they read but do not write unless assigned).
    public static func participant(_ principal: Principal, _ record: ChatSessionRecord,
                                   staffRole: StaffRole? = nil) -> Participant? {
        switch principal {
        case .customer(let customer):
            guard isOwner(customer, record) else { return nil }
            return Participant(role: .customer, id: customer.contactID, name: customer.name)
        case .staff(let identity):
            guard record.agent?.id == identity.id else { return nil }
            return Participant(role: identity.role == .supervisor ? .supervisor : .agent, id: String(identity.id),
                               name: identity.name)
        }
    }

    /// Whether a principal allowed to read a chat receives events of this kind (the role x content table).
    public static func mayReceive(_ principal: Principal, _ kind: SessionEventKind) -> Bool {
        switch kind.audience {
        case .everyone: return true
        case .staffOnly: return principal.isStaff
        }
    }

    static func isOwner(_ customer: CustomerIdentity, _ record: ChatSessionRecord) -> Bool {
        record.customer.organizationID == customer.organizationID && record.customer.contactID == customer.contactID
    }
}

/// Who may receive an event kind, among those allowed to read the chat.
public enum Audience: Sendable, Equatable {
    case everyone
    case staffOnly
}
