/// Structured keys for idempotent requests. Never build such keys by joining identifiers into a string: an id
/// that contains the separator would collide with another principal's key.

/// Who wrote an event, as idempotency sees it: the author's role and id (contact id for customers, staff id as
/// text for staff). A customer and a staff member never share a key, whatever their ids look like.
public struct AuthorKey: Hashable, Sendable {
    public var role: Participant.Role
    public var id: String

    public init(role: Participant.Role, id: String) {
        self.role = role
        self.id = id
    }

    public init(_ participant: Participant) {
        self.init(role: participant.role, id: participant.id)
    }
}

/// A client message id as one author used it in one session: `send` and `request_chat` resends are matched on
/// this, so an acknowledgement only ever confirms the sender's own stored message.
public struct ClientMessageKey: Hashable, Sendable {
    public var author: AuthorKey
    public var clientID: String

    public init(author: AuthorKey, clientID: String) {
        self.author = author
        self.clientID = clientID
    }
}

/// A customer's `request_chat` (or urgent after-hours request): the same contact resending the same client id
/// always gets the same chat (or ticket), before or after a restart, whatever the chat's state.
public struct ChatRequestKey: Hashable, Sendable {
    public var organizationID: OrganizationID
    public var contactID: ContactID
    public var clientID: String

    public init(organizationID: OrganizationID, contactID: ContactID, clientID: String) {
        self.organizationID = organizationID
        self.contactID = contactID
        self.clientID = clientID
    }

    public init(_ customer: CustomerIdentity, clientID: String) {
        self.init(organizationID: customer.organizationID, contactID: customer.contactID, clientID: clientID)
    }
}
