import ChatCore
import XCTest
@testable import ChatStorage

/// The on-call outbox: written with the ticket, limited per organization and day, kept until finished.
final class OnCallOutboxTests: StorageTestCase {
    private func urgent(_ org: OrganizationID, _ contact: ContactID, at offset: Double) -> TicketDraft {
        TicketDraft(organizationID: org, customer: Fixture.customer(org: org, contact: contact), subject: "Down",
                    productID: "pressero", category: .incident, severity: 1, urgent: true, createdAt: Fixture.at(offset),
                    firstResponseDue: Fixture.at(offset + 3600), description: "Orders fail",
                    createdBy: Participant(role: .customer, id: contact, name: "C"))
    }

    func testAlertsAreQueuedWithTheirTicketLimitedPerOrganizationAndKeptUntilFinished() throws {
        let store = try makeStore()
        func create(_ org: OrganizationID, at offset: Double) throws -> (Ticket, OnCallQueueing) {
            let request = OnCallRequest(organizationName: org.capitalized, perDay: 2, now: Fixture.at(offset))
            let result = try store.createTicketOnce(urgent(org, "c1", at: offset), onCall: request)
            return (result.ticket, result.onCall)
        }
        XCTAssertEqual(try create("acme", at: 0).1, .queued)
        XCTAssertEqual(try create("acme", at: 10).1, .queued)
        let (third, suppressed) = try create("acme", at: 20)
        XCTAssertEqual(suppressed, .suppressed(limit: 2))
        XCTAssertEqual(try store.ticketHistory(number: third.number).map(\.kind), [.created, .oncallSuppressed])
        XCTAssertEqual(try create("globex", at: 30).1, .queued, "another organization has its own allowance")
        XCTAssertEqual(try create("acme", at: 86_401).1, .queued, "a day after the first, acme may page again")

        let pending = try store.pendingOnCallAlerts(limit: 10)
        XCTAssertEqual(pending.map(\.notice.organizationID), ["acme", "acme", "globex", "acme"])
        XCTAssertEqual(pending.first?.notice.organizationName, "Acme")
        try store.finishOnCallAlert(id: pending[0].id, delivered: true)
        try store.finishOnCallAlert(id: pending[1].id, delivered: false)
        XCTAssertEqual(try store.pendingOnCallAlerts(limit: 10).map(\.id), [pending[2].id, pending[3].id])
    }
}
