import ChatCore
import Foundation
import GRDB

/// Why a staff member's sessions were revoked (stored in `staff_revocations.reason`).
public enum StaffRevocationReason: String, Sendable, Equatable {
    /// `chatd admin revoke-sessions`: every session token deleted; the account may log in again.
    case sessionsRevoked = "sessions_revoked"
    /// `chatd admin disable-staff`: the account is disabled and every session token deleted.
    case accountDisabled = "account_disabled"
}

/// One row of the revocation log: the running server closes `staffID`'s WebSockets when it sees it.
public struct StaffRevocation: Sendable, Equatable {
    public var seq: Int64
    public var staffID: StaffID
    public var reason: StaffRevocationReason
}

extension ChatStore {
    /// Deletes every session token of `username` and logs a revocation, in one transaction; with `disable`, also
    /// marks the account disabled (it can no longer log in). Returns the staff member, or nil if there is none.
    ///
    /// Blocking; any thread but the lws service thread (the admin CLI calls it, in its own process).
    @discardableResult
    public func revokeStaffSessions(username: String, disable: Bool, at now: Date = Date()) throws -> StaffIdentity? {
        try dbPool.write { db -> StaffIdentity? in
            guard let row = try StaffRow.fetchOne(db, sql: "SELECT * FROM staff WHERE username = ?",
                                                  arguments: [username]) else { return nil }
            let id = row.identity.id
            if disable {
                try db.execute(sql: "UPDATE staff SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?",
                               arguments: [now.timeIntervalSince1970, id])
            }
            try db.execute(sql: "DELETE FROM staff_tokens WHERE staff_id = ?", arguments: [id])
            let reason: StaffRevocationReason = disable ? .accountDisabled : .sessionsRevoked
            try db.execute(sql: "INSERT INTO staff_revocations (staff_id, reason, at) VALUES (?, ?, ?)",
                           arguments: [id, reason.rawValue, now.timeIntervalSince1970])
            return row.identity
        }
    }

    /// The highest revocation seq so far (0 if none): where a server starting now begins watching.
    ///
    /// Blocking; any thread but the lws service thread.
    public func latestStaffRevocationSeq() throws -> Int64 {
        try dbPool.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM staff_revocations") ?? 0
        }
    }

    /// Revocations logged after `seq`, oldest first (at most `limit`). An indexed range read: cheap to poll.
    ///
    /// Blocking; any thread but the lws service thread.
    public func staffRevocations(after seq: Int64, limit: Int = 1000) throws -> [StaffRevocation] {
        try dbPool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, staff_id, reason FROM staff_revocations WHERE seq > ? ORDER BY seq LIMIT ?",
                             arguments: [seq, limit]).map { row in
                StaffRevocation(seq: row["seq"], staffID: row["staff_id"],
                                reason: StaffRevocationReason(rawValue: row["reason"]) ?? .sessionsRevoked)
            }
        }
    }
}
