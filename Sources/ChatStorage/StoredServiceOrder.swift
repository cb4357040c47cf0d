import ChatCore
import Foundation

/// A stored professional-services order (the engine records `ServiceOrder`s through the writer): what, at which rate (copied from the policy at the
/// moment of acceptance, so later rate changes do not rewrite it), and who proposed it.
/// Plain value; safe on any thread.
public struct StoredServiceOrder: Sendable, Equatable {
    /// Assigned by storage; 0 before `recordServiceOrder`.
    public var id: Int64
    public var sessionID: SessionID
    public var organizationID: OrganizationID
    public var contactID: ContactID
    public var description: String
    public var rateID: String
    public var hourlyRate: Double
    public var currency: String
    /// The hours estimated when proposing, if an estimate was given.
    public var estimateHours: Double?
    /// The staff member who proposed the work.
    public var proposedBy: StaffID
    /// When the customer explicitly accepted in the chat.
    public var acceptedAt: Date

    public init(id: Int64 = 0, sessionID: SessionID, organizationID: OrganizationID, contactID: ContactID,
                description: String, rateID: String, hourlyRate: Double, currency: String, estimateHours: Double?,
                proposedBy: StaffID, acceptedAt: Date) {
        self.id = id
        self.sessionID = sessionID
        self.organizationID = organizationID
        self.contactID = contactID
        self.description = description
        self.rateID = rateID
        self.hourlyRate = hourlyRate
        self.currency = currency
        self.estimateHours = estimateHours
        self.proposedBy = proposedBy
        self.acceptedAt = acceptedAt
    }
}
