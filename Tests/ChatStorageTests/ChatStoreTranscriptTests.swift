import ChatCore
import XCTest
@testable import ChatStorage

final class ChatStoreTranscriptTests: StorageTestCase {
    let ann = StaffRef(id: 7, name: "Ann")
    let bob = StaffRef(id: 8, name: "Bob")

    /// Five sessions, ten seconds apart:
    /// 1 acme/c1, Ann joined then transferred to Bob, closed; 2 acme/c2, Bob, active; 3 zeta/z1 queued;
    /// 4 acme/c1 queued; 5 zeta/z1, Ann, closed.
    func makeHistory() throws -> ChatStore {
        let store = try makeStore()
        commit([
            .createSession(Fixture.session(1, state: .closed, agent: bob, createdAt: 0, closedAt: 5)),
            .appendEvent(Fixture.message(1, seq: 1)),
            .appendEvent(Fixture.joined(1, seq: 2, agent: ann)),
            .appendEvent(Fixture.message(1, seq: 3, role: .agent)),
            .appendEvent(Fixture.transferred(1, seq: 4, from: ann, to: bob)),
            .appendEvent(Fixture.message(1, seq: 5)),
            .createSession(Fixture.session(2, contact: "c2", state: .active, agent: bob, createdAt: 10)),
            .appendEvent(Fixture.joined(2, seq: 1, agent: bob)),
            .createSession(Fixture.session(3, org: "zeta", contact: "z1", createdAt: 20)),
            .createSession(Fixture.session(4, createdAt: 30)),
            .createSession(Fixture.session(5, org: "zeta", contact: "z1", state: .closed, agent: ann,
                                           createdAt: 40, closedAt: 45)),
            .appendEvent(Fixture.joined(5, seq: 1, agent: ann)),
        ], to: store)
        return store
    }

    func ids(_ store: ChatStore, _ filter: TranscriptFilter) throws -> [SessionID] {
        try store.sessions(matching: filter).map(\.record.id)
    }

    func testNoFilterListsEverySessionNewestFirstWithCounts() throws {
        let store = try makeHistory()
        let all = try store.sessions(matching: TranscriptFilter())
        XCTAssertEqual(all.map(\.record.id), [5, 4, 3, 2, 1])
        let first = try XCTUnwrap(all.last)
        XCTAssertEqual(first, TranscriptSummary(record: Fixture.session(1, state: .closed, agent: bob, createdAt: 0,
                                                                        closedAt: 5),
                                                lastSeq: 5, messageCount: 3))
        XCTAssertEqual(all.first { $0.record.id == 4 }?.lastSeq, 0)
        XCTAssertEqual(all.first { $0.record.id == 4 }?.messageCount, 0)
    }

    func testOrganizationContactAndStateFilters() throws {
        let store = try makeHistory()
        XCTAssertEqual(try ids(store, TranscriptFilter(organizationID: "acme")), [4, 2, 1])
        XCTAssertEqual(try ids(store, TranscriptFilter(organizationID: "acme", contactID: "c1")), [4, 1])
        XCTAssertEqual(try ids(store, TranscriptFilter(state: .closed)), [5, 1])
        XCTAssertEqual(try ids(store, TranscriptFilter(organizationID: "zeta", state: .queued)), [3])
        XCTAssertEqual(try ids(store, TranscriptFilter(organizationID: "nobody")), [])
    }

    func testAgentFilterFindsSessionsTheAgentHandledBeforeATransfer() throws {
        let store = try makeHistory()
        XCTAssertEqual(try ids(store, TranscriptFilter(agentID: ann.id)), [5, 1],
                       "session 1 now names Bob, but Ann joined it first")
        XCTAssertEqual(try ids(store, TranscriptFilter(agentID: bob.id)), [2, 1])
        XCTAssertEqual(try ids(store, TranscriptFilter(organizationID: "zeta", agentID: ann.id)), [5])
        XCTAssertEqual(try ids(store, TranscriptFilter(agentID: 99)), [])
    }

    func testAgentFilterAlsoUsesTheSessionsCurrentAgent() throws {
        let store = try makeStore()
        // Assigned on the row but with no join event (for example an event still in flight).
        commit([.createSession(Fixture.session(1, state: .active, agent: ann))], to: store)
        XCTAssertEqual(try ids(store, TranscriptFilter(agentID: ann.id)), [1])
    }

    func testDateRangeIsHalfOpen() throws {
        let store = try makeHistory()
        XCTAssertEqual(try ids(store, TranscriptFilter(from: Fixture.at(10), to: Fixture.at(30))), [3, 2])
        XCTAssertEqual(try ids(store, TranscriptFilter(from: Fixture.at(10.25))), [5, 4, 3])
        XCTAssertEqual(try ids(store, TranscriptFilter(to: Fixture.at(10))), [1])
        XCTAssertEqual(try ids(store, TranscriptFilter(from: Fixture.at(30), to: Fixture.at(30))), [])
    }

    func testPagingWithLimitAndOffset() throws {
        let store = try makeHistory()
        XCTAssertEqual(try ids(store, TranscriptFilter(limit: 2)), [5, 4])
        XCTAssertEqual(try ids(store, TranscriptFilter(limit: 2, offset: 2)), [3, 2])
        XCTAssertEqual(try ids(store, TranscriptFilter(limit: 2, offset: 4)), [1])
        XCTAssertEqual(try ids(store, TranscriptFilter(limit: 2, offset: 6)), [])
        XCTAssertEqual(try ids(store, TranscriptFilter(limit: 0)), [5], "limit is at least 1")
        XCTAssertEqual(try ids(store, TranscriptFilter(limit: 2, offset: -3)), [5, 4], "negative offset is 0")
    }

    func testLimitIsCappedAtFiveHundred() throws {
        let store = try makeStore()
        commit((1...501).map { .createSession(Fixture.session(SessionID($0), createdAt: Double($0))) }, to: store)
        let page = try store.sessions(matching: TranscriptFilter(limit: 10_000))
        XCTAssertEqual(page.count, 500)
        XCTAssertEqual(page.first?.record.id, 501)
    }

    func testSubSecondCreationTimesOrderTheListing() throws {
        let store = try makeStore()
        commit([.createSession(Fixture.session(1, createdAt: 0.5)), .createSession(Fixture.session(2, createdAt: 0.25)),
                .createSession(Fixture.session(3, createdAt: 0.75))], to: store)
        XCTAssertEqual(try ids(store, TranscriptFilter()), [3, 1, 2])
        XCTAssertEqual(try ids(store, TranscriptFilter(from: Fixture.at(0.25), to: Fixture.at(0.5))), [2])
    }

    func testOutcomeFilterSeparatesOpenClosedAndConverted() throws {
        let store = try makeHistory()
        var converted = Fixture.session(5, org: "zeta", contact: "z1", state: .closed, agent: ann, createdAt: 40, closedAt: 45)
        converted.ticketNumber = 31
        commit([.updateSession(converted)], to: store)
        XCTAssertEqual(try ids(store, TranscriptFilter(outcome: .converted)), [5])
        XCTAssertEqual(try ids(store, TranscriptFilter(outcome: .closed)), [1])
        XCTAssertEqual(try ids(store, TranscriptFilter(outcome: .open)), [4, 3, 2])
        XCTAssertEqual(try store.session(id: 5)?.ticketNumber, 31)
    }
}
