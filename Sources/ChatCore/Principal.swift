/// Who is on the other end of a connection, once authenticated.
public enum Principal: Sendable, Equatable {
    case customer(CustomerIdentity)
    case staff(StaffIdentity)

    public var isStaff: Bool { if case .staff = self { return true } else { return false } }
    /// The staff id of a staff principal, nil for customers.
    public var staffID: StaffID? { if case .staff(let identity) = self { return identity.id } else { return nil } }
}

/// A customer: an administrator of an organization, identified by the host panel's signed token.
public struct CustomerIdentity: Sendable, Equatable, Codable {
    public var organizationID: OrganizationID
    public var contactID: ContactID
    public var name: String
    public var email: String

    public init(organizationID: OrganizationID, contactID: ContactID, name: String, email: String) {
        self.organizationID = organizationID
        self.contactID = contactID
        self.name = name
        self.email = email
    }
}

public enum StaffRole: String, Sendable, Equatable, Codable {
    case agent
    case supervisor
}

/// An agent or supervisor account from the database.
public struct StaffIdentity: Sendable, Equatable, Codable {
    public var id: StaffID
    public var username: String
    public var name: String
    public var role: StaffRole

    public init(id: StaffID, username: String, name: String, role: StaffRole) {
        self.id = id
        self.username = username
        self.name = name
        self.role = role
    }
}
