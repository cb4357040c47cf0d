import ChatCore
import XCTest
@testable import ChatStorage

final class ChatStoreRecoveryTests: StorageTestCase {
    func testEmptyDatabaseRecoversToTheEmptyState() throws {
        XCTAssertEqual(try makeStore().recoverState(tailSize: 10), .empty)
    }

    func testOpenSessionsComeBackWithTailsAndClientIDsAndClosedOnesAreSkipped() throws {
        let store = try makeStore()
        let agent = StaffRef(id: 7, name: "Ann")
        let active = Fixture.session(1, state: .active, agent: agent)
        let closed = Fixture.session(2, state: .closed, closedAt: 50)
        let queued = Fixture.session(5, contact: "c2", state: .queued, createdAt: 30)
        var writes: [StorageWrite] = [.createSession(active), .createSession(closed), .createSession(queued)]
        // Session 1: ten events, messages 2...10 with client ids except seq 5.
        writes.append(.appendEvent(Fixture.joined(1, seq: 1, agent: agent)))
        for seq in Seq(2)...10 {
            writes.append(.appendEvent(Fixture.message(1, seq: seq, clientID: seq == 5 ? nil : "c-\(seq)")))
        }
        writes += (1...3).map { .appendEvent(Fixture.message(2, seq: $0, clientID: "x-\($0)")) }
        commit(writes, to: store)

        let state = try store.recoverState(tailSize: 4)
        XCTAssertEqual(state.nextSessionID, 3, "max id + 1, closed sessions included")
        XCTAssertEqual(state.openSessions.map(\.record.id), [1],
                       "the queued session 5 has no event: its request was never stored, so it is removed")
        XCTAssertNil(try store.session(id: 5))

        let first = state.openSessions[0]
        XCTAssertEqual(first.record, active)
        XCTAssertEqual(first.lastSeq, 10)
        XCTAssertEqual(first.tail, (7...10).map { Fixture.message(1, seq: $0, clientID: "c-\($0)") })
        var expectedIDs: [ClientMessageKey: Seq] = [:]
        let customer = AuthorKey(role: .customer, id: "c1")
        for seq in Seq(2)...10 where seq != 5 { expectedIDs[ClientMessageKey(author: customer, clientID: "c-\(seq)")] = seq }
        XCTAssertEqual(first.clientMessageIDs, expectedIDs, "all client ids, not only the tail's")
    }

    func testTailLargerThanTheSessionReturnsEveryEventOldestFirst() throws {
        let store = try makeStore()
        let agent = StaffRef(id: 7, name: "Ann")
        commit([.createSession(Fixture.session(3, state: .active, agent: agent)),
                .appendEvent(Fixture.joined(3, seq: 1, agent: agent)),
                .appendEvent(Fixture.message(3, seq: 2))], to: store)
        let session = try XCTUnwrap(try store.recoverState(tailSize: 256).openSessions.first)
        XCTAssertEqual(session.tail, [Fixture.joined(3, seq: 1, agent: agent), Fixture.message(3, seq: 2)])
        XCTAssertEqual(try store.recoverState(tailSize: 0).openSessions.first?.tail, [])
        XCTAssertEqual(try store.recoverState(tailSize: 0).openSessions.first?.lastSeq, 2)
    }
}
