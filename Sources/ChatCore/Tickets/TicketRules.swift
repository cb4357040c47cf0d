import Foundation

/// The ticket workflow's decisions: who may move a ticket where, whether a reply is accepted, and what a reply
/// changes by itself. Pure: no clock, no storage; the workflow comes from the policy's `ticketTransitions`.
///
/// Storage applies these inside the write transaction that reads the ticket, so two concurrent changes never
/// decide on the same stale status.
public enum TicketRules {
    /// Longest subject, in characters.
    public static let maxSubjectLength = 200
    /// Longest description or reply, in characters.
    public static let maxTextLength = 20_000

    /// A decision: the ticket as it becomes, and the history entries to append, in order.
    public struct Decision: Sendable, Equatable {
        public var ticket: Ticket
        public var changes: [TicketChange]
    }

    // MARK: Opening

    /// Checks what a customer (or a conversion) gives to open a ticket. Text is expected already trimmed.
    /// - Throws: `invalid_field`, the message naming the field.
    public static func validateNew(subject: String, productID: String, severity: Int, description: String,
                                   policy: SupportPolicy) throws(ChatError) {
        if subject.isEmpty || subject.count > maxSubjectLength {
            throw ChatError(.invalidField, "subject must be 1 to \(maxSubjectLength) characters.")
        }
        if policy.product(productID) == nil {
            throw ChatError(.invalidField, "product must be one of: \(policy.products.map(\.id).joined(separator: ", ")).")
        }
        if policy.severity(severity) == nil {
            let levels = policy.severities.map { String($0.level) }.joined(separator: ", ")
            throw ChatError(.invalidField, "severity must be one of: \(levels).")
        }
        if description.isEmpty || description.count > maxTextLength {
            throw ChatError(.invalidField, "description must be 1 to \(maxTextLength) characters.")
        }
    }

    // MARK: Status

    /// Moves `ticket` to `status` on behalf of `actor`.
    /// - Throws: `forbidden` when a customer tries (only the support team sets a status);
    ///   `illegal_transition` when the workflow has no such move (including to the same status).
    public static func changeStatus(_ ticket: Ticket, to status: TicketStatus, by actor: Participant,
                                    policy: SupportPolicy) throws(ChatError) -> Decision {
        if actor.role == .customer {
            throw ChatError(.forbidden, "Only the support team can change a ticket's status.")
        }
        guard policy.allowsTransition(from: ticket.status, to: status) else {
            if ticket.status == status {
                throw ChatError(.illegalTransition, "The ticket is already \(status.displayName).")
            }
            throw ChatError(.illegalTransition,
                            "A ticket cannot go from \(ticket.status.displayName) to \(status.displayName).")
        }
        var changed = ticket
        changed.status = status
        return Decision(ticket: changed, changes: [.statusChanged(ticket.status, status)])
    }

    // MARK: Replies

    /// Records a reply from `actor` at `instant`, with its automatic effects:
    /// - a customer replying to a ticket awaiting their reply moves it to Open;
    /// - the first staff reply records the first response, and moves a New ticket to Open.
    /// Each move happens only if the policy's workflow allows it. System replies have no effect on the ticket.
    /// - Throws: `ticket_closed` (with `alternative: ticket`) on a closed ticket: a reply never reopens one;
    ///   `invalid_field` for empty or over-long text (expected already trimmed).
    public static func reply(to ticket: Ticket, by actor: Participant, text: String, at instant: Date,
                             policy: SupportPolicy) throws(ChatError) -> Decision {
        if ticket.status == .closed {
            throw ChatError(.ticketClosed,
                            "Ticket \(ticket.number) is closed and a reply does not reopen it. Please open a new ticket.",
                            alternative: "ticket")
        }
        if text.isEmpty || text.count > maxTextLength {
            throw ChatError(.invalidField, "text must be 1 to \(maxTextLength) characters.")
        }
        var changed = ticket
        var changes = [TicketChange(kind: .reply, text: text)]
        func move(to status: TicketStatus) {
            guard policy.allowsTransition(from: changed.status, to: status) else { return }
            changes.append(.statusChanged(changed.status, status))
            changed.status = status
        }
        switch actor.role {
        case .customer:
            if changed.status == .awaitingReply { move(to: .open) }
        case .agent, .supervisor:
            if changed.firstRespondedAt == nil {
                changed.firstRespondedAt = instant
                if changed.status == .new { move(to: .open) }
            }
        case .system:
            break
        }
        return Decision(ticket: changed, changes: changes)
    }
}
