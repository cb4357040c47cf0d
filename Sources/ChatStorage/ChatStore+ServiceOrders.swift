import ChatCore
import Foundation
import GRDB

extension ChatStore {
    /// Records professional services the customer accepted in a chat; `order.id` is ignored.
    ///
    /// Blocking; any thread but the lws service thread.
    /// - Returns: the new order's id.
    public func recordServiceOrder(_ order: StoredServiceOrder) throws -> Int64 {
        try dbPool.write { db in
            try db.execute(sql: """
                INSERT INTO service_orders (session_id, organization_id, contact_id, description, rate_id, hourly_rate,
                                            currency, estimate_hours, proposed_by, accepted_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [order.sessionID, order.organizationID, order.contactID, order.description,
                                 order.rateID, order.hourlyRate, order.currency, order.estimateHours,
                                 order.proposedBy, order.acceptedAt.timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    /// The service orders accepted in a chat, in order of acceptance.
    ///
    /// Blocking; any thread but the lws service thread.
    public func serviceOrders(sessionID: SessionID) throws -> [StoredServiceOrder] {
        try dbPool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM service_orders WHERE session_id = ? ORDER BY accepted_at, id",
                             arguments: [sessionID]).map { row in
                StoredServiceOrder(id: row["id"], sessionID: row["session_id"], organizationID: row["organization_id"],
                             contactID: row["contact_id"], description: row["description"], rateID: row["rate_id"],
                             hourlyRate: row["hourly_rate"], currency: row["currency"],
                             estimateHours: row["estimate_hours"], proposedBy: row["proposed_by"],
                             acceptedAt: Date(timeIntervalSince1970: row["accepted_at"]))
            }
        }
    }
}
