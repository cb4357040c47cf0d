import ChatCore
import XCTest
@testable import ChatStorage

final class ChatStoreEventReadTests: StorageTestCase {
    func testEventsAfterASeqWithALimitInSeqOrder() throws {
        let store = try makeStore()
        // Submitted out of order within one batch: reads still come back by seq.
        commit([.createSession(Fixture.session(1))] + [5, 1, 4, 2, 3].map { .appendEvent(Fixture.message(1, seq: $0)) }
               + [.appendEvent(Fixture.message(2, seq: 1))], to: store)

        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1, 2, 3, 4, 5])
        XCTAssertEqual(try store.events(sessionID: 1, afterSeq: 2).map(\.seq), [3, 4, 5])
        XCTAssertEqual(try store.events(sessionID: 1, afterSeq: 1, limit: 2).map(\.seq), [2, 3])
        XCTAssertEqual(try store.events(sessionID: 1, afterSeq: 5), [])
        XCTAssertEqual(try store.events(sessionID: 9), [])
        XCTAssertNil(try store.session(id: 9))
    }

    func testEveryEventFieldRoundTripsWithSubSecondTimes() throws {
        let store = try makeStore()
        let from = StaffRef(id: 7, name: "Ann")
        let to = StaffRef(id: 8, name: "Bob")
        let events = [
            SessionEvent(sessionID: 1, seq: 1, at: Fixture.at(0.125), kind: .requested,
                         author: Participant(role: .customer, id: "c1", name: "Cat"), text: "Help",
                         clientMessageID: "req-1"),
            Fixture.joined(1, seq: 2, agent: from),
            Fixture.transferred(1, seq: 3, from: from, to: to),
            SessionEvent(sessionID: 1, seq: 4, at: Fixture.at(1.0), kind: .requeued, author: .system,
                         reason: "agent_disconnected"),
            SessionEvent(sessionID: 1, seq: 5, at: Fixture.at(1.125), kind: .closed,
                         author: Participant(role: .supervisor, id: "9", name: "Sue"), reason: "supervisor"),
        ]
        commit([.createSession(Fixture.session(1))] + events.map { .appendEvent($0) }, to: store)
        let stored = try store.events(sessionID: 1)
        XCTAssertEqual(stored, events)
        XCTAssertTrue(zip(stored, stored.dropFirst()).allSatisfy { $0.at < $1.at })
    }
}
