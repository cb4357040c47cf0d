import ChatCore
import Foundation

/// Professional-services orders (as `ChatStore+ServiceOrders.swift`; the writer records the engine's through
/// `StorageWrite.recordServiceOrder`).
///
/// Threading: blocking and thread-safe (a pooled connection per call); any thread but the lws service thread.
extension PostgresStore {
    /// Records services the customer accepted in a chat; `order.id` is ignored. Returns the new order's id.
    public func recordServiceOrder(_ order: StoredServiceOrder) throws -> Int64 {
        try pool.with { c in
            try c.execute("""
                INSERT INTO service_orders (session_id, organization_id, contact_id, description, rate_id, hourly_rate,
                                            currency, estimate_hours, proposed_by, accepted_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                """, [.int(order.sessionID), .text(order.organizationID), .text(order.contactID), .text(order.description),
                      .text(order.rateID), .double(order.hourlyRate), .text(order.currency), pg(order.estimateHours),
                      .int(order.proposedBy), pg(order.acceptedAt)]).int(0, 0) ?? 0
        }
    }

    /// The service orders accepted in a chat, in order of acceptance.
    public func serviceOrders(sessionID: SessionID) throws -> [StoredServiceOrder] {
        try pool.with { c in
            let rows = try c.execute("""
                SELECT id, session_id, organization_id, contact_id, description, rate_id, hourly_rate, currency,
                       estimate_hours, proposed_by, accepted_at
                FROM service_orders WHERE session_id = $1 ORDER BY accepted_at, id
                """, [.int(sessionID)])
            return (0..<rows.count).map { row in
                StoredServiceOrder(id: rows.int(row, 0) ?? 0, sessionID: rows.int(row, 1) ?? 0,
                                   organizationID: rows.string(row, 2) ?? "", contactID: rows.string(row, 3) ?? "",
                                   description: rows.string(row, 4) ?? "", rateID: rows.string(row, 5) ?? "",
                                   hourlyRate: rows.double(row, 6) ?? 0, currency: rows.string(row, 7) ?? "",
                                   estimateHours: rows.double(row, 8), proposedBy: rows.int(row, 9) ?? 0,
                                   acceptedAt: rows.date(row, 10) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }
}
