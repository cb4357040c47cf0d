import ChatCore

/// A staff account with its password hash, for the login check. Plain value; safe on any thread.
public struct StaffAccount: Sendable, Equatable {
    public var identity: StaffIdentity
    /// The stored password hash, in whatever self-describing format the service layer wrote.
    public var passwordHash: String

    public init(identity: StaffIdentity, passwordHash: String) {
        self.identity = identity
        self.passwordHash = passwordHash
    }
}
