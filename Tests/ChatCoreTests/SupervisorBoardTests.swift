import Foundation
import XCTest
@testable import ChatCore

final class SupervisorBoardTests: XCTestCase {
    func testSupervisorsSeeEverySessionChangeAndAgentsDoNot() {
        let h = EngineHarness()
        let sue = h.connect(.staff(Fixture.supervisor(9)))
        let (_, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        XCTAssertEqual(h.summaries(to: sue).last?.record.state, .queued, "a new chat appears once committed")
        let mark = h.mark
        let agent = h.connectAgent(Fixture.agent(1))
        let seen = h.summaries(to: sue, since: mark).filter { $0.record.id == id }
        XCTAssertEqual(seen.last?.record.state, .active)
        XCTAssertEqual(seen.last?.record.agent?.id, 1)
        XCTAssertEqual(seen.last?.budget.running, true)
        let closing = h.mark
        h.send(.close(sessionID: id), from: agent)
        XCTAssertEqual(h.summaries(to: sue, since: closing).last?.record.state, .closed)
        let other = h.connectAgent(Fixture.agent(2))
        let (_, second) = h.openChat(Fixture.customer("bob"), org: Fixture.org())
        XCTAssertFalse(h.summaries(to: other).contains { $0.record.id == id }, "agents only see their own chats")
        XCTAssertTrue(h.summaries(to: other).contains { $0.record.id == second })
    }
}

final class EndedChatTests: XCTestCase {
    func testReadAndTypingOnAnEndedChatSaySessionClosed() {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        h.send(.close(sessionID: id), from: agent)
        h.send(.markRead(sessionID: id, seq: 2), from: customer)            // closed, not yet evicted
        h.commitAll()
        h.send(.typing(sessionID: id, active: true), from: customer)       // evicted
        XCTAssertEqual(h.errorCodes(to: customer), [.sessionClosed, .sessionClosed])
        h.send(.markRead(sessionID: id + 50, seq: 1), from: customer)
        XCTAssertEqual(h.errorCodes(to: customer).last, .unknownSession, "an id never allocated is not 'closed'")
    }
}

final class BoardThrottleTests: XCTestCase {
    private func boards(_ h: EngineHarness, to connection: ConnectionID, since mark: Int) -> [[AgentLoad]] {
        h.messages(to: connection, since: mark).compactMap { if case .agents(let loads) = $0 { return loads } else { return nil } }
    }

    func testBoardBroadcastsAreCoalescedPerInterval() {
        let h = EngineHarness(config: EngineConfig(boardIntervalSeconds: 0.25), throttleBoard: true)
        let first = h.connect(.staff(Fixture.agent(1)))
        XCTAssertEqual(boards(h, to: first, since: 0).count, 1, "a newcomer gets the board at once")
        let mark = h.mark
        // Ten more agents arrive within the same instant: one deferred broadcast, not ten.
        for id in 2...11 { _ = h.connect(.staff(Fixture.agent(StaffID(id)))) }
        XCTAssertEqual(boards(h, to: first, since: mark).count, 0)
        XCTAssertEqual(h.engine.nextDeadline, h.clock.now().addingTimeInterval(0.25))
        h.advance(by: 0.25)
        let seen = boards(h, to: first, since: mark)
        XCTAssertEqual(seen.count, 1)
        XCTAssertEqual(seen.first?.count, 11, "the broadcast carries the latest board")
        XCTAssertNil(h.engine.nextDeadline)
    }
}
