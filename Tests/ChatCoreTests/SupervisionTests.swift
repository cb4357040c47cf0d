import XCTest
@testable import ChatCore

/// What supervisors do in live chats: take one over, assign a queued one to a chosen agent, barge in.
final class SupervisionTests: XCTestCase {
    func testASupervisorTakesOverAnActiveChatAndAnswersInIt() {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let supervisor = h.connect(.staff(Fixture.supervisor(9)))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        let m = h.mark
        h.send(.take(sessionID: id), from: supervisor)
        h.commitAll()
        let moved = h.persistedEvents(since: m)
        XCTAssertEqual(moved.map(\.kind), [.transferred])
        XCTAssertEqual(moved.first?.author.role, .supervisor)
        XCTAssertEqual(moved.first?.agent?.id, 9)
        XCTAssertEqual(h.engine.sessionRecord(id)?.agent?.id, 9)
        XCTAssertEqual(h.engine.activeSessions(of: 9), [id])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [])
        XCTAssertEqual(h.events(to: customer, since: m).map(\.kind), [.transferred])
        XCTAssertEqual(h.events(to: agent, since: m).map(\.kind), [.transferred], "the agent learns why it left")

        let m2 = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "s1", text: "I'll handle this"), from: supervisor)
        h.commitAll()
        XCTAssertEqual(h.events(to: customer, since: m2).first?.author.role, .supervisor)
        h.send(.sendMessage(sessionID: id, clientID: "a1", text: "me?"), from: agent)
        XCTAssertEqual(h.errors(to: agent, since: m2).map(\.code), [.notYourSession], "the agent no longer writes there")
    }

    func testASupervisorAssignsAQueuedChatToAChosenAvailableAgent() {
        let h = EngineHarness()
        let supervisor = h.connect(.staff(Fixture.supervisor(9)))
        let (_, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .queued)
        let m = h.mark
        h.send(.transfer(sessionID: id, toAgent: 2), from: supervisor)
        XCTAssertEqual(h.errors(to: supervisor, since: m).map(\.code), [.agentUnavailable], "agent 2 is not connected")
        // Agent 2 connects but stays Away (out of routing): the supervisor may still pick them.
        let away = h.connectAgent(Fixture.agent(2), available: false)
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .queued, "routing skips agents who are away")
        let m2 = h.mark
        h.send(.transfer(sessionID: id, toAgent: 2), from: supervisor)
        h.commitAll()
        XCTAssertEqual(h.errors(to: supervisor, since: m2), [])
        XCTAssertEqual(h.engine.sessionRecord(id)?.agent?.id, 2)
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .active)
        let joined = h.events(to: away, since: m2).last   // after the replay of what came before
        XCTAssertEqual(joined?.kind, .joined)
        XCTAssertEqual(joined?.author.role, .supervisor)
    }

    func testAnAgentCannotAssignAQueuedChatAndASupervisorBargesInWithoutTakingIt() {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let other = h.connectAgent(Fixture.agent(2))
        let supervisor = h.connect(.staff(Fixture.supervisor(9)))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        let assigned = h.engine.sessionRecord(id)?.agent?.id
        let notAssigned = assigned == 1 ? other : agent
        let m = h.mark
        h.send(.transfer(sessionID: id, toAgent: 9), from: notAssigned)
        XCTAssertEqual(h.errors(to: notAssigned, since: m).map(\.code), [.notYourSession])

        h.send(.sendMessage(sessionID: id, clientID: "s1", text: "Supervisor here"), from: supervisor)
        h.commitAll()
        XCTAssertEqual(h.events(to: customer, since: m).map(\.author.role), [.supervisor])
        XCTAssertEqual(h.engine.sessionRecord(id)?.agent?.id, assigned, "barging in does not take the chat")
        XCTAssertEqual(h.acks(to: supervisor, since: m).count, 1)
    }
}
