import ChatCore
import Foundation

/// Disabling staff and revoking their sessions, and the revocation log the running servers poll (as
/// `ChatStore+StaffAccess.swift`). In a cluster every node polls the same log.
///
/// Threading: blocking and thread-safe (a pooled connection per call); any thread but the lws service thread.
extension PostgresStore {
    /// Deletes every session token of `username` and logs a revocation, in one transaction; with `disable`, also
    /// marks the account disabled. Returns the staff member, or nil if there is none.
    @discardableResult
    public func revokeStaffSessions(username: String, disable: Bool, at now: Date = Date()) throws -> StaffIdentity? {
        try pool.with { c in
            try c.transaction { c -> StaffIdentity? in
                let rows = try c.execute("""
                    SELECT \(Self.staffColumns) FROM staff WHERE lower(username) = lower($1) FOR UPDATE
                    """, [.text(username)])
                guard rows.count > 0 else { return nil }
                let identity = try PGRows.staff(rows, 0)
                if disable {
                    try c.execute("UPDATE staff SET disabled_at = COALESCE(disabled_at, $1) WHERE id = $2",
                                  [pg(now), .int(identity.id)])
                }
                try c.execute("DELETE FROM staff_tokens WHERE staff_id = $1", [.int(identity.id)])
                try c.execute("LOCK TABLE staff_revocations IN SHARE ROW EXCLUSIVE MODE")
                let reason: StaffRevocationReason = disable ? .accountDisabled : .sessionsRevoked
                try c.execute("INSERT INTO staff_revocations (staff_id, reason, at) VALUES ($1, $2, $3)",
                              [.int(identity.id), .text(reason.rawValue), pg(now)])
                return identity
            }
        }
    }

    /// The highest revocation seq so far (0 if none): where a server starting now begins watching.
    public func latestStaffRevocationSeq() throws -> Int64 {
        try pool.with { c in try c.execute("SELECT COALESCE(MAX(seq), 0) FROM staff_revocations").int(0, 0) ?? 0 }
    }

    /// Revocations logged after `seq`, oldest first (at most `limit`).
    ///
    /// Seqs come from a sequence, and a poller only asks "after the last seq seen": were two revocations in flight
    /// at once, the lower seq could commit after the higher one was seen and be skipped. `revokeStaffSessions`
    /// therefore locks the log against other writers before taking its seq, so seqs commit in order (what the
    /// SQLite store's single writer gives for free); readers are not blocked.
    public func staffRevocations(after seq: Int64, limit: Int = 1000) throws -> [StaffRevocation] {
        try pool.with { c in
            let rows = try c.execute("""
                SELECT seq, staff_id, reason FROM staff_revocations WHERE seq > $1 ORDER BY seq LIMIT $2
                """, [.int(seq), .int(Int64(max(0, limit)))])
            return (0..<rows.count).map { row in
                StaffRevocation(seq: rows.int(row, 0) ?? 0, staffID: rows.int(row, 1) ?? 0,
                                reason: rows.string(row, 2).flatMap(StaffRevocationReason.init(rawValue:)) ?? .sessionsRevoked)
            }
        }
    }
}
