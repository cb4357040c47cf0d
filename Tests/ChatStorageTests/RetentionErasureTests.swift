import ChatCore
import GRDB
import XCTest
@testable import ChatStorage

/// Retention (closed chats and tickets deleted with everything that belongs to them) and erasure of a person.
final class RetentionErasureTests: StorageTestCase {
    /// Chats 1 (closed at 100 s), 2 (closed at 10,000 s), 3 (open) of contact c1 at acme, each with the customer's
    /// "zebra N" and the agent's "giraffe N"; all indexed.
    func makeStore() throws -> ChatStore {
        let store = try super.makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        var writes: [StorageWrite] = [.registerContact("acme", "c1")]
        for (id, closed) in [(1, 100.0), (2, 10_000.0), (3, nil)] as [(SessionID, Double?)] {
            writes.append(.createSession(Fixture.session(id, contact: "c1", state: closed == nil ? .active : .closed,
                                                         agent: StaffRef(id: 7, name: "Ann"), createdAt: 0, closedAt: closed)))
            writes.append(.appendEvent(Fixture.message(id, seq: 1, text: "zebra \(id)")))
            writes.append(.appendEvent(Fixture.message(id, seq: 2, text: "giraffe \(id)", role: .agent)))
        }
        commit(writes, to: store)
        try store.indexAllEvents()
        try store.indexSearch()
        return store
    }

    func found(_ store: ChatStore, _ text: String) throws -> [SessionID] {
        try store.search(TranscriptSearch(query: try XCTUnwrap(SearchQuery(text)))).hits.map(\.summary.record.id)
    }

    func testRetentionDeletesOldClosedChatsWithTheirEventsAndSearchEntries() throws {
        let store = try makeStore()
        XCTAssertEqual(try found(store, "zebra"), [3, 2, 1])
        XCTAssertEqual(try store.deleteClosedChats(closedBefore: Fixture.at(5_000), limit: 10), 1)
        XCTAssertNil(try store.session(id: 1))
        XCTAssertEqual(try store.events(sessionID: 1), [])
        XCTAssertEqual(try found(store, "zebra"), [3, 2])
        XCTAssertEqual(try found(store, "subject"), [3, 2], "the header document went too")
        XCTAssertEqual(try store.events(sessionID: 2).count, 2, "a chat closed after the cutoff stays")
        XCTAssertEqual(try store.deleteClosedChats(closedBefore: Fixture.at(1_000_000), limit: 10), 1, "never an open chat")
        XCTAssertNotNil(try store.session(id: 3))
        XCTAssertEqual(try store.verify(), [], "the search index's own integrity check included")
    }

    func testClosedTicketsGoAfterTheirLastChange() throws {
        let store = try makeStore()
        try store.dbPool.write { db in
            for (number, status) in [(1, "closed"), (2, "open")] as [(Int, String)] {
                try db.execute(sql: """
                    INSERT INTO tickets (number, organization_id, contact_id, customer_name, customer_email, subject, product_id,
                                         category, severity, urgent, status, created_at, first_response_due, description)
                    VALUES (?, 'acme', 'c1', 'C', 'c@x', 'S', 'pressero', 'incident', 2, 0, ?, ?, ?, 'd')
                    """, arguments: [number, status, Fixture.at(0).timeIntervalSince1970, Fixture.at(10).timeIntervalSince1970])
            }
        }
        XCTAssertEqual(try store.deleteClosedTickets(lastChangedBefore: Fixture.at(50), limit: 10), 1)
        XCTAssertNil(try store.ticket(number: 1))
        XCTAssertNotNil(try store.ticket(number: 2))
    }

    func testErasureReplacesThePersonsWordsAndKeepsTheAgents() throws {
        let store = try makeStore()
        XCTAssertThrowsError(try store.eraseContact(organizationID: "acme", contactID: "c1"), "chat 3 is open") { error in
            XCTAssertEqual((error as? StorageError)?.code, "open_chat")
        }
        commit([.updateSession(Fixture.session(3, contact: "c1", state: .closed, agent: StaffRef(id: 7, name: "Ann"),
                                               createdAt: 0, closedAt: 200))], to: store)
        XCTAssertEqual(try found(store, "ann"), [3, 2, 1], "found by the customer's name in the header")
        let report = try store.eraseContact(organizationID: "acme", contactID: "c1")
        XCTAssertEqual(report.sessions, 3)
        XCTAssertEqual(report.events, 3)
        for id in SessionID(1)...3 {
            let events = try store.events(sessionID: id)
            XCTAssertEqual(events.map(\.text), [ChatStore.erasedText, "giraffe \(id)"])
            XCTAssertEqual(events.first?.author.name, ChatStore.erasedText)
            XCTAssertEqual(try store.session(id: id)?.customer.name, ChatStore.erasedText)
        }
        XCTAssertEqual(try found(store, "zebra"), [], "nothing they wrote finds their chats")
        XCTAssertEqual(try found(store, "ann"), [], "nor their name")
        XCTAssertEqual(try found(store, "giraffe"), [3, 2, 1], "the agents' words still do")
        XCTAssertEqual(try store.organization(id: "acme")?.authorizedContacts, [])
        XCTAssertEqual(try store.verify(), [])
        let export = try store.exportContact(organizationID: "acme", contactID: "c1")
        XCTAssertEqual(export.sessions.count, 3)
        XCTAssertEqual(export.sessions.first?.events.map(\.text), [ChatStore.erasedText, "giraffe 1"])
    }
}
