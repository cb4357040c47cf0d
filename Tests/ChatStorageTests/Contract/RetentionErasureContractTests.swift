import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Retention and a person's data on every backend (as RetentionErasureTests).
final class RetentionErasureContractTests: StorageContractCase {
    let ann = StaffRef(id: 7, name: "Ann")

    /// Chats 1 (closed at 100 s), 2 (closed at 10,000 s), 3 (open) of contact c1 at acme, each with the customer's
    /// "zebra N" and the agent's "giraffe N".
    func fill(_ store: any StorageBackend) throws {
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv", regionID: nil, createdAt: Fixture.at(0))
        var writes: [StorageWrite] = [.registerContact("acme", "c1")]
        for (id, closed) in [(1, 100.0), (2, 10_000.0), (3, nil)] as [(SessionID, Double?)] {
            writes.append(.createSession(Fixture.session(id, contact: "c1", state: closed == nil ? .active : .closed,
                                                         agent: ann, createdAt: 0, closedAt: closed)))
            writes.append(.appendEvent(Fixture.message(id, seq: 1, text: "zebra \(id)")))
            writes.append(.appendEvent(Fixture.message(id, seq: 2, text: "giraffe \(id)", role: .agent)))
        }
        try seed(writes, to: store)
    }

    func found(_ store: any StorageBackend, _ text: String) throws -> [SessionID] {
        try store.search(TranscriptSearch(query: try XCTUnwrap(SearchQuery(text)))).hits.map(\.summary.record.id)
    }

    func testRetentionDeletesOldClosedChatsWithTheirEventsAndSearchEntries() throws {
        try forEachBackend { store, name in
            try fill(store)
            _ = try store.rate(sessionID: 1, organizationID: "acme", contactID: "c1", rating: 5, comment: nil,
                               at: Fixture.at(100), changeWindowSeconds: 60)
            XCTAssertEqual(try found(store, "zebra"), [3, 2, 1], name)
            XCTAssertEqual(try store.deleteClosedChats(closedBefore: Fixture.at(5_000), limit: 10), 1, name)
            XCTAssertNil(try store.session(id: 1), name)
            XCTAssertNil(try store.rating(sessionID: 1), name)
            XCTAssertEqual(try store.events(sessionID: 1, afterSeq: 0, limit: nil), [], name)
            XCTAssertEqual(try found(store, "zebra"), [3, 2], name)
            XCTAssertEqual(try found(store, "subject"), [3, 2], "the header document went too (\(name))")
            XCTAssertEqual(try store.sessions(matching: TranscriptFilter(agentID: 7)).map(\.record.id), [3, 2], name)
            XCTAssertEqual(try store.events(sessionID: 2, afterSeq: 0, limit: nil).count, 2, name)
            XCTAssertEqual(try store.deleteClosedChats(closedBefore: Fixture.at(1_000_000), limit: 10), 1,
                           "never an open chat (\(name))")
            XCTAssertNotNil(try store.session(id: 3), name)
        }
    }

    func testClosedTicketsGoAfterTheirLastChange() throws {
        try forEachBackend { store, name in
            let agent = Participant(role: .agent, id: "7", name: "Ann")
            for offset in [0.0, 1.0] {
                _ = try store.createTicket(TicketDraft(
                    organizationID: "acme", customer: Fixture.customer(), subject: "S", productID: "pressero",
                    category: .incident, severity: 2, createdAt: Fixture.at(offset), firstResponseDue: Fixture.at(10),
                    description: "d", createdBy: Participant(role: .customer, id: "c1", name: "C")))
            }
            _ = try store.changeTicketStatus(number: 1, to: .closed, actor: agent, at: Fixture.at(20), policy: .defaults)
            XCTAssertEqual(try store.deleteClosedTickets(lastChangedBefore: Fixture.at(10), limit: 10), 0,
                           "its last change is what counts (\(name))")
            XCTAssertEqual(try store.deleteClosedTickets(lastChangedBefore: Fixture.at(50), limit: 10), 1, name)
            XCTAssertNil(try store.ticket(number: 1), name)
            XCTAssertEqual(try store.ticketHistory(number: 1), [], name)
            XCTAssertNotNil(try store.ticket(number: 2), name)
        }
    }

    func testErasureReplacesThePersonsWordsAndKeepsTheAgents() throws {
        try forEachBackend { store, name in
            try fill(store)
            _ = try store.createTicket(TicketDraft(
                organizationID: "acme", customer: Fixture.customer(), subject: "My printer", productID: "pressero",
                category: .incident, severity: 2, createdAt: Fixture.at(0), firstResponseDue: Fixture.at(10),
                description: "d", createdBy: Participant(role: .customer, id: "c1", name: "Ann c1")))
            XCTAssertThrowsError(try store.eraseContact(organizationID: "acme", contactID: "c1"), name) { error in
                XCTAssertEqual((error as? StorageError)?.code, "open_chat", name)
            }
            try seed([.updateSession(Fixture.session(3, contact: "c1", state: .closed, agent: ann, createdAt: 0,
                                                     closedAt: 200))], to: store)
            XCTAssertEqual(try found(store, "ann"), [3, 2, 1], "found by the customer's name (\(name))")
            let report = try store.eraseContact(organizationID: "acme", contactID: "c1")
            XCTAssertEqual(report, ErasureReport(sessions: 3, events: 3, tickets: 1, ticketEntries: 1), name)
            for id in SessionID(1)...3 {
                let events = try store.events(sessionID: id, afterSeq: 0, limit: nil)
                XCTAssertEqual(events.map(\.text), [ChatStore.erasedText, "giraffe \(id)"], name)
                XCTAssertEqual(events.first?.author.name, ChatStore.erasedText, name)
                XCTAssertEqual(try store.session(id: id)?.customer.name, ChatStore.erasedText, name)
            }
            XCTAssertEqual(try store.ticket(number: 1)?.subject, ChatStore.erasedText, name)
            XCTAssertEqual(try store.ticketHistory(number: 1).first?.actor.name, ChatStore.erasedText, name)
            XCTAssertEqual(try found(store, "zebra"), [], "nothing they wrote finds their chats (\(name))")
            XCTAssertEqual(try found(store, "ann"), [], "nor their name (\(name))")
            XCTAssertEqual(try found(store, "giraffe"), [3, 2, 1], "the agents' words still do (\(name))")
            let export = try store.exportContact(organizationID: "acme", contactID: "c1")
            XCTAssertEqual(export.sessions.count, 3, name)
            XCTAssertEqual(export.sessions.first?.events.map(\.text), [ChatStore.erasedText, "giraffe 1"], name)
            XCTAssertEqual(export.tickets.map(\.ticket.number), [1], name)
        }
    }
}
