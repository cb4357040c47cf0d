import Foundation

/// What happened to a ticket. Raw values are the wire and column names; never rename one.
public enum TicketHistoryKind: String, Sendable, Equatable, Codable, CaseIterable {
    /// The ticket was opened (by the customer, or by staff converting a chat).
    case created
    /// The status moved (`fromStatus` -> `toStatus`), by staff or as the effect of a reply.
    case statusChanged = "status_changed"
    /// A customer or staff reply (`text`).
    case reply
    /// The severity changed (`text` says from and to).
    case severityChanged = "severity_changed"
    /// The on-call engineer was notified (`text` says whom and how).
    case oncallNotified = "oncall_notified"
    /// Notifying the on-call engineer failed (`text` says why).
    case oncallFailed = "oncall_failed"
    /// On-call staff were not paged: the organization reached its limit of urgent alerts (`text` says so).
    case oncallSuppressed = "oncall_suppressed"
    /// An internal note (`text`): staff only, never shown to customers (`TicketHistoryKind.isInternal`).
    case note
    /// The assignee changed (`text` says to whom, or that nobody works on it now): staff only.
    case assigned

    /// Entries only the support team sees: a customer's `GET /api/tickets/{n}` leaves them out.
    public var isInternal: Bool { self == .note || self == .assigned }
}

/// One numbered entry of a ticket's history. Immutable once stored; `seq` is 1, 2, 3... per ticket.
/// Plain value; safe on any thread.
public struct TicketHistoryEntry: Sendable, Equatable {
    public var ticketNumber: Int64
    public var seq: Int64
    public var at: Date
    public var actor: Participant
    public var kind: TicketHistoryKind
    public var fromStatus: TicketStatus?
    public var toStatus: TicketStatus?
    public var text: String?

    public init(ticketNumber: Int64, seq: Int64, at: Date, actor: Participant, kind: TicketHistoryKind,
                fromStatus: TicketStatus? = nil, toStatus: TicketStatus? = nil, text: String? = nil) {
        self.ticketNumber = ticketNumber
        self.seq = seq
        self.at = at
        self.actor = actor
        self.kind = kind
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.text = text
    }
}

/// A history entry before storage numbers it: what `TicketRules` decides should be recorded.
public struct TicketChange: Sendable, Equatable {
    public var kind: TicketHistoryKind
    public var fromStatus: TicketStatus?
    public var toStatus: TicketStatus?
    public var text: String?

    public init(kind: TicketHistoryKind, fromStatus: TicketStatus? = nil, toStatus: TicketStatus? = nil, text: String? = nil) {
        self.kind = kind
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.text = text
    }

    public static func statusChanged(_ from: TicketStatus, _ to: TicketStatus) -> TicketChange {
        TicketChange(kind: .statusChanged, fromStatus: from, toStatus: to)
    }

    /// The stored entry, once storage has chosen its number.
    public func entry(ticketNumber: Int64, seq: Int64, at: Date, actor: Participant) -> TicketHistoryEntry {
        TicketHistoryEntry(ticketNumber: ticketNumber, seq: seq, at: at, actor: actor, kind: kind,
                           fromStatus: fromStatus, toStatus: toStatus, text: text)
    }
}

/// A ticket after a change, with the history entries the change appended (in order).
public struct TicketUpdate: Sendable, Equatable {
    public var ticket: Ticket
    public var entries: [TicketHistoryEntry]

    public init(ticket: Ticket, entries: [TicketHistoryEntry]) {
        self.ticket = ticket
        self.entries = entries
    }
}
