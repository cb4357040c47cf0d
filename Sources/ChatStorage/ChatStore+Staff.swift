import ChatCore
import Foundation
import GRDB

extension ChatStore {
    // MARK: Reads

    /// The account with this username (compared case-insensitively), with its password hash, or nil.
    ///
    /// Blocking; any thread but the lws service thread (the HTTP login worker calls it).
    public func staffAccount(username: String) throws -> StaffAccount? {
        try dbPool.read { db in
            try StaffRow.fetchOne(db, sql: "SELECT * FROM staff WHERE username = ?", arguments: [username])
        }.map { StaffAccount(identity: $0.identity, passwordHash: $0.passwordHash, isDisabled: $0.disabledAt != nil) }
    }

    /// The staff member with this id, or nil.
    ///
    /// Blocking; any thread but the lws service thread.
    public func staff(id: StaffID) throws -> StaffIdentity? {
        try dbPool.read { db in
            try StaffRow.fetchOne(db, sql: "SELECT * FROM staff WHERE id = ?", arguments: [id])
        }?.identity
    }

    /// Every staff member, ordered by id.
    ///
    /// Blocking; any thread but the lws service thread.
    public func allStaff() throws -> [StaffIdentity] {
        try dbPool.read { db in
            try StaffRow.fetchAll(db, sql: "SELECT * FROM staff ORDER BY id")
        }.map(\.identity)
    }

    /// The staff member who owns the token with this hash, or nil if no such token exists, it has expired
    /// (`expires_at <= now`) or the account is disabled.
    ///
    /// Blocking; any thread but the lws service thread.
    public func staff(forTokenHash tokenHash: String, now: Date) throws -> StaffIdentity? {
        try dbPool.read { db in
            try StaffRow.fetchOne(db, sql: """
                SELECT staff.* FROM staff_tokens JOIN staff ON staff.id = staff_tokens.staff_id
                WHERE staff_tokens.token_hash = ? AND staff_tokens.expires_at > ? AND staff.disabled_at IS NULL
                """, arguments: [tokenHash, now.timeIntervalSince1970])
        }?.identity
    }

    // MARK: Admin writes (admin CLI and HTTP login worker; never the engine)

    /// Adds a staff account and returns it with its new id.
    ///
    /// Blocking; any thread but the lws service thread.
    /// - Throws: `StorageError` `username_taken` if the username is in use (compared case-insensitively).
    @discardableResult
    public func createStaff(username: String, name: String, role: StaffRole, passwordHash: String,
                            createdAt: Date = Date()) throws -> StaffIdentity {
        do {
            let id = try dbPool.write { db in
                try db.execute(sql: StaffRow.insertSQL,
                               arguments: [username, name, role.rawValue, passwordHash,
                                           createdAt.timeIntervalSince1970])
                return db.lastInsertedRowID
            }
            return StaffIdentity(id: id, username: username, name: name, role: role)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StorageError.usernameTaken(username)
        }
    }

    /// Stores a login token (its hash only) for a staff member.
    ///
    /// Blocking; any thread but the lws service thread.
    /// - Throws: `StorageError` `not_found` if there is no such staff member, `token_exists` if the hash is stored.
    public func insertStaffToken(hash: String, staffID: StaffID, createdAt: Date, expiresAt: Date) throws {
        do {
            try dbPool.write { db in
                try db.execute(sql: StaffTokenRow.insertSQL,
                               arguments: [hash, staffID, createdAt.timeIntervalSince1970,
                                           expiresAt.timeIntervalSince1970])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StorageError.tokenExists
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw StorageError.notFound("The staff member \(staffID)")
        }
    }

    /// Deletes a token (logout). Returns whether it existed.
    ///
    /// Blocking; any thread but the lws service thread.
    @discardableResult
    public func deleteStaffToken(hash: String) throws -> Bool {
        try dbPool.write { db in
            try db.execute(sql: "DELETE FROM staff_tokens WHERE token_hash = ?", arguments: [hash])
            return db.changesCount > 0
        }
    }

    /// Deletes every token with `expires_at <= now`. Returns how many were deleted.
    ///
    /// Blocking; any thread but the lws service thread.
    @discardableResult
    public func deleteExpiredStaffTokens(now: Date) throws -> Int {
        try dbPool.write { db in
            try db.execute(sql: "DELETE FROM staff_tokens WHERE expires_at <= ?",
                           arguments: [now.timeIntervalSince1970])
            return db.changesCount
        }
    }
}
