import XCTest
@testable import ChatCore

final class RoutingTests: XCTestCase {
    /// Opens `count` chats from distinct contacts of one enterprise org, advancing the clock between them.
    private func openChats(_ h: EngineHarness, _ count: Int, startingAt first: Int = 1) -> [(ConnectionID, SessionID)] {
        let org = Fixture.org(plan: "enterprise")
        return (first..<(first + count)).map { index in
            h.clock.advance(by: 1)
            return h.openChat(Fixture.customer("c\(index)"), org: org)
        }
    }

    func testAgentMustBeAvailableToReceiveChats() {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1), available: false)
        XCTAssertEqual(h.engine.status(of: 1), .away)
        let (customer, id) = openChats(h, 1)[0]
        XCTAssertEqual(h.engine.queuedSessionIDs, [id])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [])
        XCTAssertEqual(h.queuePositions(to: customer), [1])

        let m = h.mark
        h.send(.setStatus(.available), from: agent)
        XCTAssertEqual(h.messages(to: agent, since: m).first, .status(.available))
        XCTAssertEqual(h.engine.activeSessions(of: 1), [id])
        XCTAssertEqual(h.engine.queuedSessionIDs, [])
        let joined = h.persistedEvents(since: m)
        XCTAssertEqual(joined.map(\.kind), [.joined])
        XCTAssertEqual(joined.first?.seq, 2)
        XCTAssertEqual(joined.first?.agent, StaffRef(id: 1, name: "Agent 1"))
        XCTAssertTrue(h.persisted(since: m).contains { if case .updateSession(let r) = $0 { return r.state == .active && r.agent?.id == 1 } else { return false } })
        // The agent got the summary and the history at once; the join itself only after commit.
        XCTAssertEqual(h.events(to: agent, session: id, since: m).map(\.seq), [1])
        XCTAssertEqual(h.events(to: customer, since: m), [])
        let m2 = h.mark
        h.commitAll()
        XCTAssertEqual(h.events(to: agent, session: id, since: m2).map(\.kind), [.joined])
        XCTAssertEqual(h.events(to: customer, session: id, since: m2).map(\.kind), [.joined])
    }

    func testAwayAndOfflineAgentsGetNothing() {
        let h = EngineHarness()
        let a = h.connectAgent(Fixture.agent(1))
        let b = h.connectAgent(Fixture.agent(2))
        h.send(.setStatus(.away), from: a)
        h.send(.setStatus(.offline), from: b)
        let chats = openChats(h, 2)
        XCTAssertEqual(h.engine.queuedSessionIDs, chats.map(\.1))
        XCTAssertEqual(h.engine.activeSessions(of: 1), [])
        XCTAssertEqual(h.engine.activeSessions(of: 2), [])
    }

    func testSupervisorsAreNotRouted() {
        let h = EngineHarness()
        let s = h.connect(.staff(Fixture.supervisor(9)))
        h.send(.setStatus(.available), from: s)
        let (_, id) = openChats(h, 1)[0]
        XCTAssertEqual(h.engine.queuedSessionIDs, [id])
    }

    func testFewestActiveSessionsWins() {
        let h = EngineHarness()
        h.connectAgent(Fixture.agent(1))
        let chats = openChats(h, 2)          // both go to agent 1 (the only one)
        XCTAssertEqual(h.engine.activeSessions(of: 1), chats.map(\.1))
        h.clock.advance(by: 100)
        h.connectAgent(Fixture.agent(2))
        // Agent 2 has 0 sessions (and never got one): the next two go there until loads are equal.
        let more = openChats(h, 2, startingAt: 10)
        XCTAssertEqual(h.engine.activeSessions(of: 2), more.map(\.1))
        XCTAssertEqual(h.engine.activeSessions(of: 1), chats.map(\.1))
    }

    func testTiesGoToTheAgentWhoLeastRecentlyGotASession() {
        let h = EngineHarness()
        // Agent 3 gets the first chat while it is the only one available.
        h.connectAgent(Fixture.agent(3))
        let (c0, s0) = openChats(h, 1, startingAt: 0)[0]
        XCTAssertEqual(h.engine.activeSessions(of: 3), [s0])
        h.connectAgent(Fixture.agent(1))
        h.connectAgent(Fixture.agent(2))
        h.send(.close(sessionID: s0), from: c0)
        h.commitAll()
        // All three at 0 sessions; 1 and 2 never got one, 3 did: 1, 2, then 3.
        let round1 = openChats(h, 3, startingAt: 1).map(\.1)
        XCTAssertEqual(h.engine.activeSessions(of: 1), [round1[0]])
        XCTAssertEqual(h.engine.activeSessions(of: 2), [round1[1]])
        XCTAssertEqual(h.engine.activeSessions(of: 3), [round1[2]])
        // All at 1: the rotation continues in the order they last got a chat.
        let round2 = openChats(h, 3, startingAt: 4).map(\.1)
        XCTAssertEqual(h.engine.activeSessions(of: 1), [round1[0], round2[0]])
        XCTAssertEqual(h.engine.activeSessions(of: 2), [round1[1], round2[1]])
        XCTAssertEqual(h.engine.activeSessions(of: 3), [round1[2], round2[2]])
    }

    func testTieBreakIsLeastRecentAssignmentNotLowestID() {
        let h = EngineHarness()
        h.connectAgent(Fixture.agent(2))
        let first = openChats(h, 1)[0]          // agent 2 is alone: gets it at t1
        h.connectAgent(Fixture.agent(1))
        let second = openChats(h, 1, startingAt: 2)[0]   // agent 1 has fewer: gets it at t2
        XCTAssertEqual(h.engine.activeSessions(of: 2), [first.1])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [second.1])
        h.send(.close(sessionID: second.1), from: second.0)
        h.send(.close(sessionID: first.1), from: first.0)
        h.commitAll()
        // Both at 0: agent 2 got its last chat earlier, so it wins despite the higher id.
        let next = openChats(h, 1, startingAt: 3)[0].1
        XCTAssertEqual(h.engine.activeSessions(of: 2), [next])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [])
        let after = openChats(h, 1, startingAt: 4)[0].1
        XCTAssertEqual(h.engine.activeSessions(of: 1), [after])
    }

    func testCapIsRespectedAndQueuePositionsFollowCloses() {
        let h = EngineHarness()
        let a1 = h.connectAgent(Fixture.agent(1))
        let a2 = h.connectAgent(Fixture.agent(2))
        let chats = openChats(h, 8)
        XCTAssertEqual(h.engine.activeSessions(of: 1).count, 3)
        XCTAssertEqual(h.engine.activeSessions(of: 2).count, 3)
        XCTAssertEqual(h.engine.queuedSessionIDs, [chats[6].1, chats[7].1])
        XCTAssertEqual(h.queuePositions(to: chats[6].0), [1])
        XCTAssertEqual(h.queuePositions(to: chats[7].0), [2])
        // Routed customers never saw a queue position.
        for (c, _) in chats.prefix(6) { XCTAssertEqual(h.queuePositions(to: c), []) }
        // Staff see the queue with both waiting chats.
        guard case .queue(let entries)? = h.messages(to: a1).last(where: { if case .queue = $0 { return true } else { return false } })
        else { return XCTFail("no queue board") }
        XCTAssertEqual(entries.map(\.sessionID), [chats[6].1, chats[7].1])

        // Agent 2 closes one of its chats: the front of the queue goes to agent 2, the other moves to 1.
        let closing = h.engine.activeSessions(of: 2)[0]
        let m = h.mark
        h.send(.close(sessionID: closing), from: a2)
        XCTAssertEqual(h.engine.activeSessions(of: 2).count, 3)
        XCTAssertTrue(h.engine.activeSessions(of: 2).contains(chats[6].1))
        XCTAssertEqual(h.engine.queuedSessionIDs, [chats[7].1])
        XCTAssertEqual(h.queuePositions(to: chats[7].0, since: m), [1])
        h.commitAll()
        XCTAssertEqual(h.events(to: chats[6].0, session: chats[6].1, since: m).map(\.kind), [.joined])
        XCTAssertEqual(h.events(to: a2, session: chats[6].1, since: m).map(\.kind), [.requested, .joined])

        // The customer of the last chat closes it while waiting: it leaves the queue.
        let m2 = h.mark
        h.send(.close(sessionID: chats[7].1), from: chats[7].0)
        XCTAssertEqual(h.engine.queuedSessionIDs, [])
        h.commitAll()
        XCTAssertEqual(h.acks(to: chats[7].0, since: m2), [])
        XCTAssertEqual(h.events(to: chats[7].0, since: m2).map(\.kind), [.closed])
        XCTAssertNil(h.engine.sessionRecord(chats[7].1))
        _ = a1
    }

    func testTakeQueuedChat() {
        let h = EngineHarness()
        let a = h.connectAgent(Fixture.agent(1), available: false)
        let (c, id) = openChats(h, 1)[0]
        let m = h.mark
        h.send(.take(sessionID: id), from: a)
        XCTAssertEqual(h.errorCodes(to: a, since: m), [])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [id])
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .active)
        h.commitAll()
        XCTAssertEqual(h.events(to: c, since: m).map(\.kind), [.joined])
        XCTAssertEqual(h.events(to: a, session: id, since: m).map(\.kind), [.requested, .joined])

        // Taking it again: no longer queued.
        let m2 = h.mark
        h.send(.take(sessionID: id), from: a)
        XCTAssertEqual(h.errorCodes(to: a, since: m2), [.sessionNotQueued])
        h.send(.take(sessionID: 999), from: a)
        XCTAssertEqual(h.errorCodes(to: a, since: m2), [.sessionNotQueued, .unknownSession])
    }

    func testTakeAtCapacityIsRefused() {
        let h = EngineHarness(config: EngineConfig(agentSessionCap: 2))
        let a = h.connectAgent(Fixture.agent(1))
        let chats = openChats(h, 3)
        XCTAssertEqual(h.engine.activeSessions(of: 1), [chats[0].1, chats[1].1])
        let m = h.mark
        h.send(.take(sessionID: chats[2].1), from: a)
        XCTAssertEqual(h.errorCodes(to: a, since: m), [.atCapacity])
        XCTAssertEqual(h.engine.queuedSessionIDs, [chats[2].1])
        XCTAssertEqual(h.persisted(since: m), [])
    }

    func testCustomersCannotUseStaffCommands() {
        let h = EngineHarness()
        let (c, id) = openChats(h, 1)[0]
        let m = h.mark
        h.send(.setStatus(.available), from: c)
        h.send(.take(sessionID: id), from: c)
        h.send(.transfer(sessionID: id, toAgent: 1), from: c)
        XCTAssertEqual(h.errorCodes(to: c, since: m), [.forbidden, .forbidden, .forbidden])
        XCTAssertEqual(h.persisted(since: m), [])
        XCTAssertEqual(h.engine.queuedSessionIDs, [id])
    }

    func testStaffCannotRequestChat() {
        let h = EngineHarness()
        let a = h.connectAgent(Fixture.agent(1))
        let m = h.mark
        h.send(.requestChat(productID: "pressero", subject: "x", firstMessage: "y", clientID: "z"), from: a)
        XCTAssertEqual(h.errorCodes(to: a, since: m), [.forbidden])
    }

    func testCommandsBeforeConnectAreNotAuthenticated() {
        let h = EngineHarness()
        let stranger: ConnectionID = 4242
        let commands: [ClientCommand] = [
            .requestChat(productID: "pressero", subject: "s", firstMessage: "m", clientID: "c"),
            .sendMessage(sessionID: 1, clientID: "c", text: "t"),
            .sync(sessionID: 1, afterSeq: 0),
            .setStatus(.available),
            .close(sessionID: 1),
        ]
        for command in commands { h.send(command, from: stranger) }
        XCTAssertEqual(h.errorCodes(to: stranger), Array(repeating: .notAuthenticated, count: commands.count))
        XCTAssertEqual(h.writes, [])
        XCTAssertEqual(h.effects.count, commands.count)
    }
}
