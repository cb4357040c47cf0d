import ChatCore
import XCTest
@testable import ChatStorage

final class TranscriptReaderTests: StorageTestCase {
    let ann = StaffRef(id: 7, name: "Ann")
    let bob = StaffRef(id: 8, name: "Bob")

    func makeSessions(_ count: Int, sameTime: Bool = false, agent: StaffRef? = nil) throws -> ChatStore {
        let store = try makeStore()
        var writes: [StorageWrite] = []
        for id in 1...Int64(count) {
            writes.append(.createSession(Fixture.session(id, org: id % 2 == 0 ? "acme" : "zeta", state: .closed,
                                                         agent: agent, createdAt: sameTime ? 5 : Double(id), closedAt: 100)))
            if let agent { writes.append(.appendEvent(Fixture.joined(id, seq: 1, agent: agent))) }
        }
        commit(writes, to: store)
        return store
    }

    func pages(_ store: ChatStore, _ filter: TranscriptFilter) throws -> [[SessionID]] {
        var filter = filter
        var pages: [[SessionID]] = []
        while true {
            let page = try store.sessions(matching: filter)
            if page.isEmpty { return pages }
            pages.append(page.map(\.record.id))
            filter.after = TranscriptCursor(after: page.last!.record)
        }
    }

    func testKeysetPagesWalkEveryFilterNewestFirstOnce() throws {
        let store = try makeSessions(9, agent: ann)
        XCTAssertEqual(try pages(store, TranscriptFilter(limit: 4)), [[9, 8, 7, 6], [5, 4, 3, 2], [1]])
        XCTAssertEqual(try pages(store, TranscriptFilter(organizationID: "acme", limit: 3)), [[8, 6, 4], [2]])
        XCTAssertEqual(try pages(store, TranscriptFilter(agentID: ann.id, limit: 5)), [[9, 8, 7, 6, 5], [4, 3, 2, 1]])
        XCTAssertEqual(try pages(store, TranscriptFilter(agentID: ann.id, outcome: .closed, limit: 5)), [[9, 8, 7, 6, 5], [4, 3, 2, 1]])
    }

    /// A cursor page seeks the filter's index to the cursor instead of scanning from the newest row.
    func testACursorPageSeeksItsIndex() throws {
        let store = try makeSessions(3, agent: ann)
        let cursor = TranscriptCursor(createdAt: Fixture.t0.timeIntervalSince1970 + 2, sessionID: 2)
        for filter in [TranscriptFilter(after: cursor), TranscriptFilter(organizationID: "acme", after: cursor),
                       TranscriptFilter(agentID: ann.id, after: cursor), TranscriptFilter(outcome: .closed, after: cursor),
                       TranscriptFilter(state: .closed, after: cursor), TranscriptFilter(contactID: "c1", after: cursor)] {
            let plan = try store.transcriptListingPlan(filter)
            XCTAssertTrue(plan.contains("created_at<?"), "\(filter): \(plan)")
        }
    }

    func testKeysetBreaksTiesOfTheSameCreationTimeById() throws {
        let store = try makeSessions(5, sameTime: true)
        XCTAssertEqual(try pages(store, TranscriptFilter(limit: 2)), [[5, 4], [3, 2], [1]])
    }

    func testCountsTheWholeFilterWhateverThePage() throws {
        let store = try makeSessions(9, agent: ann)
        XCTAssertEqual(try store.countSessions(matching: TranscriptFilter(limit: 2)), 9)
        XCTAssertEqual(try store.countSessions(matching: TranscriptFilter(organizationID: "acme", limit: 1, offset: 3)), 4)
        XCTAssertEqual(try store.countSessions(matching: TranscriptFilter(agentID: ann.id, after: TranscriptCursor(createdAt: 0, sessionID: 1))), 9)
        XCTAssertEqual(try store.countSessions(matching: TranscriptFilter(agentID: bob.id)), 0)
    }

    func testCursorTokensRoundTripExactly() {
        let cursor = TranscriptCursor(createdAt: 1_790_000_000.123456789, sessionID: 42)
        XCTAssertEqual(TranscriptCursor(token: cursor.token), cursor)
        for bad in ["", "1", "x_1", "1_x", "1_0", "1_-3", "nan_1", "inf_1", "1_2_3"] {
            XCTAssertNil(TranscriptCursor(token: bad), bad)
        }
    }

    func testOrganizationsByNamePrefixIgnoreCaseAndTreatWildcardsAsText() throws {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme Print", planID: "hv")
        try store.createOrganization(id: "ac2", name: "Acorn", planID: "hv")
        try store.createOrganization(id: "pct", name: "100% Print", planID: "hv")
        try store.createOrganization(id: "under", name: "a_b", planID: "hv")
        XCTAssertEqual(try store.organizations(matchingPrefix: "ac", limit: 10).map(\.id), ["acme", "ac2"])
        XCTAssertEqual(try store.organizations(matchingPrefix: "ACME", limit: 10).map(\.name), ["Acme Print"])
        XCTAssertEqual(try store.organizations(matchingPrefix: "100%", limit: 10).map(\.id), ["pct"])
        XCTAssertEqual(try store.organizations(matchingPrefix: "%", limit: 10).map(\.id), [])
        XCTAssertEqual(try store.organizations(matchingPrefix: "a_", limit: 10).map(\.id), ["under"])
        XCTAssertEqual(try store.organizations(matchingPrefix: "", limit: 2).map(\.id), ["pct", "under"])
        XCTAssertEqual(try store.organizationNames(ids: ["acme", "nobody"]), ["acme": "Acme Print"])
    }

    func testFactsNameEveryAgentInOrderAndTheFirstJoin() throws {
        let store = try makeStore()
        commit([
            .createSession(Fixture.session(1, state: .closed, agent: bob, createdAt: 0, closedAt: 5)),
            .appendEvent(Fixture.message(1, seq: 1)),
            .appendEvent(Fixture.joined(1, seq: 2, agent: ann)),
            .appendEvent(Fixture.transferred(1, seq: 3, from: ann, to: bob)),
            .appendEvent(Fixture.joined(1, seq: 4, agent: ann)),
            .createSession(Fixture.session(2)),
            .appendEvent(Fixture.message(2, seq: 1)),
        ], to: store)
        XCTAssertEqual(try store.transcriptFacts(sessionID: 1),
                       TranscriptFacts(firstJoinedAt: Fixture.at(0.5), agents: [ann, bob]))
        XCTAssertEqual(try store.transcriptFacts(sessionID: 2), TranscriptFacts())
        XCTAssertEqual(try store.transcriptFacts(sessionID: 99), TranscriptFacts())
    }
}
