/// An organization as the engine needs it to decide on chat requests.
public struct OrganizationRecord: Sendable, Equatable {
    public var id: OrganizationID
    public var name: String
    public var planID: String
    /// Contacts that already count against the plan's authorized-contact limit.
    public var authorizedContacts: Set<ContactID>
    /// The support region (hours, holidays, SLA clock); nil means the policy's default region.
    public var regionID: String?

    public init(id: OrganizationID, name: String, planID: String, authorizedContacts: Set<ContactID>, regionID: String? = nil) {
        self.id = id
        self.name = name
        self.planID = planID
        self.authorizedContacts = authorizedContacts
        self.regionID = regionID
    }
}
