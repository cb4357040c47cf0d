import ChatCore
import Foundation
import GRDB

/// A customer's rating of a closed chat. Plain value; safe on any thread.
public struct ChatRating: Sendable, Equatable {
    /// 1 (poor) to 5 (excellent).
    public var rating: Int
    public var comment: String?
    /// When the customer first rated the chat (a change within the window keeps it).
    public var ratedAt: Date

    public init(rating: Int, comment: String?, ratedAt: Date) {
        self.rating = rating
        self.comment = comment
        self.ratedAt = ratedAt
    }
}

/// What became of a rating attempt.
public enum RatingOutcome: Sendable, Equatable {
    case stored(ChatRating)
    case notFound
    /// The chat belongs to another customer.
    case notYours
    /// The chat is still open.
    case notClosed
    /// Rated earlier than the change window allows changing: the rating stays as it was.
    case locked(ChatRating)
}

extension ChatStore {
    /// Stores the rating of a closed chat by its customer: once, then changeable for `changeWindowSeconds` after
    /// the first rating. Blocking; any thread but the lws service thread.
    public func rate(sessionID: SessionID, organizationID: OrganizationID, contactID: ContactID, rating: Int,
                     comment: String?, at now: Date, changeWindowSeconds: Double) throws -> RatingOutcome {
        try dbPool.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT organization_id, contact_id, state, csat_rating, csat_comment, csat_rated_at FROM sessions WHERE id = ?
                """, arguments: [sessionID]) else { return .notFound }
            guard row["organization_id"] == organizationID, row["contact_id"] == contactID else { return .notYours }
            guard row["state"] == SessionState.closed.rawValue else { return .notClosed }
            var ratedAt = now
            if let previous: Int = row["csat_rating"], let at: Double = row["csat_rated_at"] {
                let first = Date(timeIntervalSince1970: at)
                guard now.timeIntervalSince(first) <= changeWindowSeconds else {
                    return .locked(ChatRating(rating: previous, comment: row["csat_comment"], ratedAt: first))
                }
                ratedAt = first
            }
            try db.execute(sql: "UPDATE sessions SET csat_rating = ?, csat_comment = ?, csat_rated_at = ? WHERE id = ?",
                           arguments: [rating, comment, ratedAt.timeIntervalSince1970, sessionID])
            return .stored(ChatRating(rating: rating, comment: comment, ratedAt: ratedAt))
        }
    }

    /// The rating of a chat, or nil. Blocking; any thread but the lws service thread.
    public func rating(sessionID: SessionID) throws -> ChatRating? {
        try dbPool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT csat_rating, csat_comment, csat_rated_at FROM sessions WHERE id = ? AND csat_rating IS NOT NULL
                """, arguments: [sessionID]) else { return nil }
            return ChatRating(rating: row["csat_rating"], comment: row["csat_comment"],
                              ratedAt: Date(timeIntervalSince1970: row["csat_rated_at"]))
        }
    }
}
