import ChatCore
import Foundation
import GRDB

// # Schema, v5-oncall-outbox (issue 9.5)
//
// - `oncall_outbox`: one on-call alert per urgent ticket, written in the same transaction as the ticket, kept
//   until delivered or given up (`state`: pending, delivered, gave_up). Survives restarts: pending alerts are
//   sent again after one. `organization_id, created_at` counts an organization's alerts for its daily limit.

/// An on-call alert waiting in the outbox: its row id and what the webhook says about the urgent ticket.
public struct OnCallAlert: Sendable, Equatable {
    public var id: Int64
    public var notice: UrgentNotice
}

/// Whether an urgent ticket's alert went into the outbox.
public enum OnCallQueueing: Sendable, Equatable {
    /// No alert was asked for (not urgent, within hours, or no webhook configured).
    case notRequested
    /// Queued: it will be delivered (also after a restart), or its failure recorded.
    case queued
    /// The organization reached its daily limit: no page; the ticket's history says so.
    case suppressed(limit: Int)
}

extension ChatStore {
    static func registerOnCallOutboxMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-oncall-outbox") { db in
            try db.execute(sql: """
                CREATE TABLE oncall_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_number INTEGER NOT NULL UNIQUE REFERENCES tickets(number),
                    organization_id TEXT NOT NULL,
                    organization_name TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending'
                );
                CREATE INDEX oncall_outbox_pending ON oncall_outbox(id) WHERE state = 'pending';
                CREATE INDEX oncall_outbox_by_organization ON oncall_outbox(organization_id, created_at);
                """)
        }
    }

    /// Inside the ticket's transaction: queues its alert, or records why not (the daily limit).
    static func queueOnCallAlert(_ db: Database, ticket: Ticket, organizationName: String, perDay: Int,
                                 now: Date) throws -> OnCallQueueing {
        let recent = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM oncall_outbox WHERE organization_id = ? AND created_at > ?
            """, arguments: [ticket.organizationID, now.addingTimeInterval(-86_400).timeIntervalSince1970]) ?? 0
        if recent >= perDay {
            let entry = TicketChange(kind: .oncallSuppressed,
                                     text: "On-call staff were not paged: \(organizationName) already raised \(perDay) urgent alerts in the last 24 hours. Supervisors were told.")
                .entry(ticketNumber: ticket.number, seq: try lastHistorySeq(db, ticket.number) + 1, at: now, actor: .system)
            try db.execute(sql: TicketHistoryRow.insertSQL, arguments: TicketHistoryRow.insertArguments(entry))
            return .suppressed(limit: perDay)
        }
        try db.execute(sql: """
            INSERT INTO oncall_outbox (ticket_number, organization_id, organization_name, created_at) VALUES (?, ?, ?, ?)
            """, arguments: [ticket.number, ticket.organizationID, organizationName, now.timeIntervalSince1970])
        return .queued
    }

    /// Pending alerts, oldest first. Blocking; any thread but the lws service thread.
    public func pendingOnCallAlerts(limit: Int) throws -> [OnCallAlert] {
        try dbPool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT o.id, o.ticket_number, o.organization_id, o.organization_name, t.customer_name, t.customer_email,
                       t.subject, t.product_id, t.severity, t.created_at
                FROM oncall_outbox o JOIN tickets t ON t.number = o.ticket_number
                WHERE o.state = 'pending' ORDER BY o.id LIMIT ?
                """, arguments: [max(1, limit)]).map { row in
                OnCallAlert(id: row[0], notice: UrgentNotice(
                    ticketNumber: row[1], organizationID: row[2], organizationName: row[3], contactName: row[4],
                    contactEmail: row[5], subject: row[6], productID: row[7], severity: row[8],
                    createdAt: Date(timeIntervalSince1970: row[9]), reason: "outside_hours"))
            }
        }
    }

    /// Marks an alert delivered or given up (its attempts are in the ticket's history). Blocking.
    public func finishOnCallAlert(id: Int64, delivered: Bool) throws {
        try dbPool.write { db in
            try db.execute(sql: "UPDATE oncall_outbox SET state = ? WHERE id = ?",
                           arguments: [delivered ? "delivered" : "gave_up", id])
        }
    }
}
