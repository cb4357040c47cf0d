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
        XCTAssertEqual(h.errorCodes(to: customer).last, .notYourSession, "an id never allocated is not 'closed'")
    }
}
