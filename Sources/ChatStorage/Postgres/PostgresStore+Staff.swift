import ChatCore
import Foundation

/// Staff accounts and their sign-in tokens (as `ChatStore+Staff.swift`), and `staffNames` of the transcript
/// reader. Usernames are unique and compared case-insensitively (`lower(username)`, a unique index).
///
/// Threading: blocking and thread-safe (a pooled connection per call); any thread but the lws service thread
/// (the HTTP login worker and the admin CLI call these).
extension PostgresStore {
    static let staffColumns = "id, username, name, role, password_hash, disabled_at"

    /// The account with this username (case-insensitively), with its password hash, or nil.
    public func staffAccount(username: String) throws -> StaffAccount? {
        try pool.with { c in
            let rows = try c.execute("SELECT \(Self.staffColumns) FROM staff WHERE lower(username) = lower($1)",
                                     [.text(username)])
            guard rows.count > 0 else { return nil }
            return StaffAccount(identity: try PGRows.staff(rows, 0), passwordHash: rows.string(0, 4) ?? "",
                                isDisabled: !rows.isNull(0, 5))
        }
    }

    /// The staff member with this id, or nil.
    public func staff(id: StaffID) throws -> StaffIdentity? {
        try pool.with { c in
            let rows = try c.execute("SELECT \(Self.staffColumns) FROM staff WHERE id = $1", [.int(id)])
            return rows.count == 0 ? nil : try PGRows.staff(rows, 0)
        }
    }

    /// Every staff member, ordered by id.
    public func allStaff() throws -> [StaffIdentity] {
        try pool.with { c in
            let rows = try c.execute("SELECT \(Self.staffColumns) FROM staff ORDER BY id")
            return try (0..<rows.count).map { try PGRows.staff(rows, $0) }
        }
    }

    /// Display names of these staff members, by id.
    public func staffNames(ids: Set<StaffID>) throws -> [StaffID: String] {
        guard !ids.isEmpty else { return [:] }
        return try pool.with { c in
            let rows = try c.execute("SELECT id, name FROM staff WHERE id = ANY($1::bigint[])",
                                     [PGRows.intArray(ids.map { $0 })])
            var names: [StaffID: String] = [:]
            for row in 0..<rows.count { names[rows.int(row, 0) ?? 0] = rows.string(row, 1) ?? "" }
            return names
        }
    }

    /// The staff member who owns the token with this hash, or nil if there is no such token, it has expired
    /// (`expires_at <= now`) or the account is disabled.
    public func staff(forTokenHash tokenHash: String, now: Date) throws -> StaffIdentity? {
        try pool.with { c in
            let rows = try c.execute("""
                SELECT s.id, s.username, s.name, s.role FROM staff_tokens t JOIN staff s ON s.id = t.staff_id
                WHERE t.token_hash = $1 AND t.expires_at > $2 AND s.disabled_at IS NULL
                """, [.text(tokenHash), pg(now)])
            return rows.count == 0 ? nil : try PGRows.staff(rows, 0)
        }
    }

    /// Adds a staff account and returns it with its new id. Throws `username_taken` if the username is in use.
    @discardableResult
    public func createStaff(username: String, name: String, role: StaffRole, passwordHash: String,
                            createdAt: Date = Date()) throws -> StaffIdentity {
        do {
            let id = try pool.with { c in
                try c.execute("""
                    INSERT INTO staff (username, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
                    RETURNING id
                    """, [.text(username), .text(name), .text(role.rawValue), .text(passwordHash), pg(createdAt)]).int(0, 0)
            }
            return StaffIdentity(id: id ?? 0, username: username, name: name, role: role)
        } catch let error as PGError where error.isUniqueViolation {
            throw StorageError.usernameTaken(username)
        }
    }

    /// Stores a login token (its hash only). Throws `not_found` if there is no such staff member,
    /// `token_exists` if the hash is stored.
    public func insertStaffToken(hash: String, staffID: StaffID, createdAt: Date, expiresAt: Date) throws {
        do {
            _ = try pool.with { c in
                try c.execute("""
                    INSERT INTO staff_tokens (token_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)
                    """, [.text(hash), .int(staffID), pg(createdAt), pg(expiresAt)])
            }
        } catch let error as PGError where error.isUniqueViolation {
            throw StorageError.tokenExists
        } catch let error as PGError where error.sqlState == "23503" {
            throw StorageError.notFound("The staff member \(staffID)")
        }
    }

    /// Deletes a token (logout). Returns whether it existed.
    @discardableResult
    public func deleteStaffToken(hash: String) throws -> Bool {
        try pool.with { c in
            try c.execute("DELETE FROM staff_tokens WHERE token_hash = $1", [.text(hash)]).affectedRows > 0
        }
    }

    /// Deletes every token with `expires_at <= now`. Returns how many were deleted.
    @discardableResult
    public func deleteExpiredStaffTokens(now: Date) throws -> Int {
        try pool.with { c in
            try c.execute("DELETE FROM staff_tokens WHERE expires_at <= $1", [pg(now)]).affectedRows
        }
    }
}
