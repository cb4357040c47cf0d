import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Internal notes and assignment (v16-ticket-work).
final class TicketWorkStoreTests: StorageTestCase {
    let agent = Participant(role: .agent, id: "7", name: "Ann")
    let supervisor = Participant(role: .supervisor, id: "9", name: "Sue")
    let cathy = Participant(role: .customer, id: "c1", name: "Cathy")

    func makeTicket(_ store: ChatStore, createdAt: Double = 0) throws -> Ticket {
        try store.createTicket(TicketDraft(
            organizationID: "acme", customer: Fixture.customer(org: "acme", contact: "c1"), subject: "Subject",
            productID: "pressero", category: .incident, severity: 2, urgent: false, createdAt: Fixture.at(createdAt),
            firstResponseDue: Fixture.at(createdAt + 3600), description: "It broke.", createdBy: cathy))
    }

    func testNotesAreKeptInOrderAndLeftOutOfTheCustomerView() throws {
        let store = try makeStore()
        let ticket = try makeTicket(store)
        let note = try store.addTicketNote(number: ticket.number, text: "Check the logs", actor: agent, at: Fixture.at(10))
        XCTAssertEqual(note.ticket, ticket, "a note changes nothing on the ticket")
        XCTAssertEqual(note.entries.map(\.kind), [.note])
        XCTAssertEqual(note.entries.map(\.seq), [2])
        try store.replyToTicket(number: ticket.number, actor: agent, text: "On it", at: Fixture.at(20), policy: .defaults)

        XCTAssertEqual(try store.ticketHistory(number: ticket.number, customerView: false).map(\.kind),
                       [.created, .note, .reply, .statusChanged])
        XCTAssertEqual(try store.ticketHistory(number: ticket.number, customerView: true).map(\.kind),
                       [.created, .reply, .statusChanged])
        XCTAssertThrowsError(try store.addTicketNote(number: 999, text: "x", actor: agent, at: Fixture.at(30)))
    }

    func testAssignmentIsStoredRecordedAndFiltered() throws {
        let store = try makeStore()
        let first = try makeTicket(store)
        let second = try makeTicket(store, createdAt: 1)
        let ann = StaffRef(id: 7, name: "Ann")

        let assigned = try store.assignTicket(number: first.number, to: ann, actor: supervisor, at: Fixture.at(5))
        XCTAssertEqual(assigned.ticket.assignee, ann)
        XCTAssertEqual(assigned.entries.map(\.kind), [.assigned])
        XCTAssertEqual(assigned.entries.first?.text, "Assigned to Ann.")
        XCTAssertEqual(try store.ticket(number: first.number)?.assignee, ann)

        let again = try store.assignTicket(number: first.number, to: ann, actor: agent, at: Fixture.at(6))
        XCTAssertEqual(again.entries, [], "the same assignee again writes nothing")

        var annsTickets = TicketFilter()
        annsTickets.assigneeID = 7
        XCTAssertEqual(try store.tickets(matching: annsTickets).map(\.number), [first.number])
        var unassigned = TicketFilter()
        unassigned.unassignedOnly = true
        XCTAssertEqual(try store.tickets(matching: unassigned).map(\.number), [second.number])

        let cleared = try store.assignTicket(number: first.number, to: nil, actor: agent, at: Fixture.at(7))
        XCTAssertNil(cleared.ticket.assignee)
        XCTAssertEqual(cleared.entries.first?.text, "Unassigned.")
        XCTAssertNil(try store.ticket(number: first.number)?.assignee)
        XCTAssertEqual(try store.ticketHistory(number: first.number, customerView: true).map(\.kind), [.created])
        XCTAssertEqual(try store.ticketHistory(number: first.number).map(\.kind), [.created, .assigned, .assigned])
    }

    func testInternalKindsAreExactlyNotesAndAssignments() {
        XCTAssertEqual(TicketHistoryKind.allCases.filter(\.isInternal), [.note, .assigned])
    }
}
