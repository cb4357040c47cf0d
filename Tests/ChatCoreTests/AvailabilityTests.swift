import XCTest
@testable import ChatCore

/// Availability told up front, and the expected wait from how fast the queue moves.
final class AvailabilityTests: XCTestCase {
    func testClosedForAPlanWithoutChatAndOpenWithAFreeAgent() {
        let h = EngineHarness()
        var basic = Fixture.org()
        basic.planID = "basic"
        XCTAssertEqual(h.engine.availability(for: basic).reason, .planExcludesChat)
        XCTAssertFalse(h.engine.availability(for: nil).isOpen)
        XCTAssertEqual(h.engine.availability(for: Fixture.org()).expectedWaitSeconds, nil, "no agent, no history")
        h.connectAgent(Fixture.agent(1))
        let open = h.engine.availability(for: Fixture.org())
        XCTAssertTrue(open.isOpen)
        XCTAssertEqual(open.expectedWaitSeconds, 0, "an agent can take it at once")
        XCTAssertEqual(open.chatProducts, h.engine.policy.products.filter(\.chatOffered).map(\.id))
    }

    func testTheExpectedWaitFollowsHowFastTheQueueMoves() {
        var config = EngineConfig()
        config.agentSessionCap = 1
        let h = EngineHarness(config: config)
        let agent = h.connectAgent(Fixture.agent(1))
        var sessions: [SessionID] = []
        var customers: [ConnectionID] = []
        for n in 1...4 {
            let (c, id) = h.openChat(Fixture.customer("c\(n)"), org: Fixture.org())
            sessions.append(id)
            customers.append(c)
        }
        // The agent holds one chat; three wait. Each 60 s the agent closes one and the next is assigned.
        for index in 0..<2 {
            h.advance(by: 60)
            h.send(.close(sessionID: sessions[index]), from: agent)
            h.commitAll()
        }
        // Two assignments from the queue, 60 s apart: positions are 60 s each.
        let m = h.mark
        h.advance(by: 1)
        h.send(.sync(sessionID: sessions[3], afterSeq: 0), from: customers[3])
        let last = h.messages(to: customers[3], since: m).compactMap { message -> Double?? in
            if case let .queuePosition(_, _, wait) = message { return wait } else { return nil }
        }.last
        XCTAssertEqual(last, .some(60), "one ahead of nobody: position 1 × 60 s")
        XCTAssertEqual(h.engine.availability(for: Fixture.org()).expectedWaitSeconds, 120, "a new request: position 2")
    }
}
