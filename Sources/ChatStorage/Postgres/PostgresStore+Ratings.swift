import ChatCore
import Foundation

// Customer ratings of closed chats on PostgreSQL (`sessions.csat_*`). A rating locks its session row (`FOR
// UPDATE`), so a first rating and a change racing on two nodes are decided one after the other.
//
// Threading: blocking, thread-safe (a pooled connection per call); never on the lws service thread.
extension PostgresStore {
    /// Stores the rating of a closed chat by its customer: once, then changeable for `changeWindowSeconds` after
    /// the first rating.
    public func rate(sessionID: SessionID, organizationID: OrganizationID, contactID: ContactID, rating: Int,
                     comment: String?, at now: Date, changeWindowSeconds: Double) throws -> RatingOutcome {
        try pool.with { connection in
            try connection.transaction { c in
                let rows = try c.execute("""
                    SELECT organization_id, contact_id, state, csat_rating, csat_comment, csat_rated_at
                    FROM sessions WHERE id = $1 FOR UPDATE
                    """, [.int(sessionID)])
                guard rows.count == 1 else { return .notFound }
                guard rows.string(0, "organization_id") == organizationID, rows.string(0, "contact_id") == contactID else {
                    return .notYours
                }
                guard rows.string(0, "state") == SessionState.closed.rawValue else { return .notClosed }
                var ratedAt = now
                if let previous = rows.int(0, "csat_rating"), let first = rows.date(0, "csat_rated_at") {
                    guard now.timeIntervalSince(first) <= changeWindowSeconds else {
                        return .locked(ChatRating(rating: Int(previous), comment: rows.string(0, "csat_comment"),
                                                  ratedAt: first))
                    }
                    ratedAt = first
                }
                try c.execute("UPDATE sessions SET csat_rating = $1, csat_comment = $2, csat_rated_at = $3 WHERE id = $4",
                              [.int(Int64(rating)), pg(comment), pg(ratedAt), .int(sessionID)])
                return .stored(ChatRating(rating: rating, comment: comment, ratedAt: ratedAt))
            }
        }
    }

    /// The rating of a chat, or nil.
    public func rating(sessionID: SessionID) throws -> ChatRating? {
        try pool.with { connection in
            let rows = try connection.execute("""
                SELECT csat_rating, csat_comment, csat_rated_at FROM sessions WHERE id = $1 AND csat_rating IS NOT NULL
                """, [.int(sessionID)])
            guard rows.count == 1, let rating = rows.int(0, 0), let at = rows.date(0, 2) else { return nil }
            return ChatRating(rating: Int(rating), comment: rows.string(0, 1), ratedAt: at)
        }
    }
}
