import ChatCore

/// A staff account with its password hash, for the login check. Plain value; safe on any thread.
public struct StaffAccount: Sendable, Equatable {
    public var identity: StaffIdentity
    /// The stored password hash, in whatever self-describing format the service layer wrote.
    public var passwordHash: String
    /// Disabled by `chatd admin disable-staff`: the account may not log in.
    public var isDisabled: Bool

    public init(identity: StaffIdentity, passwordHash: String, isDisabled: Bool = false) {
        self.identity = identity
        self.passwordHash = passwordHash
        self.isDisabled = isDisabled
    }
}
