import ChatCore
import Foundation

// The on-call outbox on PostgreSQL. An alert is queued in the transaction that creates its urgent ticket. With
// several nodes each one polls the outbox: a poll CLAIMS the alerts it returns (`claimed_by` this store,
// `claimed_until` a lease), taking rows with `FOR UPDATE SKIP LOCKED`, so two nodes never page for one alert. A
// node's own later polls return its claimed alerts again (renewing the lease, as SQLite returns every pending
// alert and the service skips those in flight); a dead node's claims lapse after `onCallClaimSeconds` and
// another node takes them over.
//
// Threading: blocking, thread-safe (a pooled connection per call); never on the lws service thread.
extension PostgresStore {
    /// How long a claim keeps other nodes off an alert without being renewed by its node's polls.
    static let onCallClaimSeconds = 300.0

    /// Who claims alerts: this store object in this process.
    var onCallClaimant: String {
        "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(Self.processToken)/\(UInt(bitPattern: ObjectIdentifier(self).hashValue))"
    }

    private static let processToken = UUID().uuidString

    /// Inside the ticket's transaction: queues its alert, or records why not (the daily limit). The
    /// organization's count and insert are serialized across nodes by a transaction-scoped advisory lock.
    static func queueOnCallAlert(_ c: PGConnection, ticket: Ticket, organizationName: String, perDay: Int,
                                 now: Date) throws -> OnCallQueueing {
        try c.execute("SELECT pg_advisory_xact_lock(7242002, hashtext($1))", [.text(ticket.organizationID)])
        let recent = try c.execute("SELECT COUNT(*) FROM oncall_outbox WHERE organization_id = $1 AND created_at > $2",
                                   [.text(ticket.organizationID), pg(now.addingTimeInterval(-86_400))]).int(0, 0) ?? 0
        if recent >= perDay {
            let entry = TicketChange(kind: .oncallSuppressed,
                                     text: "On-call staff were not paged: \(organizationName) already raised \(perDay) urgent alerts in the last 24 hours. Supervisors were told.")
                .entry(ticketNumber: ticket.number, seq: try lastHistorySeq(c, ticket.number) + 1, at: now, actor: .system)
            try insertHistory(c, entry)
            return .suppressed(limit: perDay)
        }
        try c.execute("""
            INSERT INTO oncall_outbox (ticket_number, organization_id, organization_name, created_at) VALUES ($1, $2, $3, $4)
            """, [.int(ticket.number), .text(ticket.organizationID), .text(organizationName), pg(now)])
        return .queued
    }

    /// Pending alerts this node may send, oldest first: unclaimed ones, lapsed claims and its own, claimed (or
    /// re-claimed) for it in the same statement.
    public func pendingOnCallAlerts(limit: Int) throws -> [OnCallAlert] {
        let rows = try pool.with { connection in
            try connection.execute("""
                WITH claimable AS (
                    SELECT id FROM oncall_outbox
                    WHERE state = 'pending'
                      AND (claimed_by IS NULL OR claimed_by = $2 OR claimed_until < extract(epoch FROM clock_timestamp()))
                    ORDER BY id LIMIT $1
                    FOR UPDATE SKIP LOCKED
                ), claimed AS (
                    UPDATE oncall_outbox o SET claimed_by = $2, claimed_until = extract(epoch FROM clock_timestamp()) + $3
                    FROM claimable WHERE o.id = claimable.id
                    RETURNING o.id, o.ticket_number, o.organization_id, o.organization_name
                )
                SELECT c.id, c.ticket_number, c.organization_id, c.organization_name, t.customer_name, t.customer_email,
                       t.subject, t.product_id, t.severity, t.created_at
                FROM claimed c JOIN tickets t ON t.number = c.ticket_number
                ORDER BY c.id
                """, [.int(Int64(max(1, limit))), .text(onCallClaimant), .double(Self.onCallClaimSeconds)])
        }
        return try (0..<rows.count).map { i in
            OnCallAlert(id: try PGSupervisionRows.required(rows.int(i, 0), "oncall_outbox.id"), notice: UrgentNotice(
                ticketNumber: rows.int(i, 1) ?? 0, organizationID: rows.string(i, 2) ?? "",
                organizationName: rows.string(i, 3) ?? "", contactName: rows.string(i, 4) ?? "",
                contactEmail: rows.string(i, 5) ?? "", subject: rows.string(i, 6) ?? "",
                productID: rows.string(i, 7) ?? "", severity: Int(rows.int(i, 8) ?? 0),
                createdAt: rows.date(i, 9) ?? Date(timeIntervalSince1970: 0), reason: "outside_hours"))
        }
    }

    /// Marks an alert delivered or given up (its attempts are in the ticket's history).
    public func finishOnCallAlert(id: Int64, delivered: Bool) throws {
        try pool.with { connection in
            _ = try connection.execute("UPDATE oncall_outbox SET state = $1, claimed_until = NULL WHERE id = $2",
                                       [.text(delivered ? "delivered" : "gave_up"), .int(id)])
        }
    }
}
