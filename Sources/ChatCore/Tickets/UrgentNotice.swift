import Foundation


/// An urgent ticket (a customer cannot order, a job cannot be produced) submitted outside support hours,
/// as sent to on-call staff. A plain value: safe to pass between threads.
public struct UrgentNotice: Sendable, Equatable {
    public var ticketNumber: Int64
    public var organizationID: OrganizationID
    public var organizationName: String
    public var contactName: String
    public var contactEmail: String
    public var subject: String
    public var productID: String
    public var severity: Int
    public var createdAt: Date
    /// Why on-call staff are notified; a stable machine word. Currently always "outside_hours".
    public var reason: String

    public init(ticketNumber: Int64, organizationID: OrganizationID, organizationName: String, contactName: String,
                contactEmail: String, subject: String, productID: String, severity: Int, createdAt: Date,
                reason: String = "outside_hours") {
        self.ticketNumber = ticketNumber
        self.organizationID = organizationID
        self.organizationName = organizationName
        self.contactName = contactName
        self.contactEmail = contactEmail
        self.subject = subject
        self.productID = productID
        self.severity = severity
        self.createdAt = createdAt
        self.reason = reason
    }
}
