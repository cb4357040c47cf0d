import XCTest
@testable import ChatCore

final class TransferTests: XCTestCase {
    func testTransferToAvailableAgent() {
        let h = EngineHarness()
        let a1 = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        h.send(.sendMessage(sessionID: id, clientID: "m", text: "question"), from: customer)
        h.commitAll()
        let a2 = h.connectAgent(Fixture.agent(2))
        let m = h.mark
        h.send(.transfer(sessionID: id, toAgent: 2), from: a1)
        XCTAssertEqual(h.errorCodes(to: a1, since: m), [])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [])
        XCTAssertEqual(h.engine.activeSessions(of: 2), [id])
        XCTAssertEqual(h.engine.sessionRecord(id)?.agent, StaffRef(id: 2, name: "Agent 2"))
        let written = h.persistedEvents(since: m)
        XCTAssertEqual(written.map(\.kind), [.transferred])
        XCTAssertEqual(written.first?.seq, 4)
        XCTAssertEqual(written.first?.agent?.id, 2)
        XCTAssertEqual(written.first?.author.id, "1")
        // The new agent gets the full history right away.
        XCTAssertEqual(h.events(to: a2, session: id, since: m).map(\.seq), [1, 2, 3])
        XCTAssertEqual(h.summaries(to: a2, since: m).map(\.record.agent?.id), [2])
        let m2 = h.mark
        h.commitAll()
        XCTAssertEqual(h.events(to: a1, session: id, since: m2).map(\.kind), [.transferred])
        XCTAssertEqual(h.events(to: a2, session: id, since: m2).map(\.kind), [.transferred])
        XCTAssertEqual(h.events(to: customer, since: m2).map(\.kind), [.transferred])
        // Then nothing more reaches the old agent.
        let m3 = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "m2", text: "still there?"), from: customer)
        h.send(.typing(sessionID: id, active: true), from: customer)
        h.commitAll()
        XCTAssertEqual(h.sessionMessages(to: a1, session: id, since: m3), [])
        XCTAssertEqual(h.events(to: a2, session: id, since: m3).map(\.seq), [5])
        // The old agent can no longer write there.
        h.send(.sendMessage(sessionID: id, clientID: "x", text: "me?"), from: a1)
        XCTAssertEqual(h.errorCodes(to: a1, since: m3), [.notYourSession])
        // The new agent can.
        let m4 = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "y", text: "I'm here"), from: a2)
        h.commitAll()
        XCTAssertEqual(h.acks(to: a2, since: m4).map(\.seq), [6])
        XCTAssertEqual(h.events(to: customer, since: m4).map(\.seq), [6])
    }

    func testSupervisorMayTransferAnyChat() {
        let h = EngineHarness()
        let a1 = h.connectAgent(Fixture.agent(1))
        let (_, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        h.connectAgent(Fixture.agent(2))
        let sup = h.connect(.staff(Fixture.supervisor(9)))
        let m = h.mark
        h.send(.transfer(sessionID: id, toAgent: 2), from: sup)
        XCTAssertEqual(h.errorCodes(to: sup, since: m), [])
        XCTAssertEqual(h.persistedEvents(since: m).first?.author.role, .supervisor)
        h.commitAll()
        XCTAssertEqual(h.events(to: a1, session: id, since: m).map(\.kind), [.transferred])
        XCTAssertEqual(h.engine.activeSessions(of: 2), [id])
    }

    func testTransferRefusals() {
        let h = EngineHarness(config: EngineConfig(agentSessionCap: 1))
        let a1 = h.connectAgent(Fixture.agent(1))
        let (_, id) = h.openChat(Fixture.customer("c1"), org: Fixture.org())
        let a2 = h.connectAgent(Fixture.agent(2))
        let (_, other) = h.openChat(Fixture.customer("c2"), org: Fixture.org())
        XCTAssertEqual(h.engine.activeSessions(of: 2), [other])
        let a3 = h.connectAgent(Fixture.agent(3))
        h.send(.setStatus(.offline), from: a3)
        let a4 = h.connectAgent(Fixture.agent(4))
        h.disconnect(a4)
        let m = h.mark
        h.send(.transfer(sessionID: other, toAgent: 3), from: a1)   // not mine
        h.send(.transfer(sessionID: id, toAgent: 42), from: a1)     // unknown agent
        h.send(.transfer(sessionID: id, toAgent: 3), from: a1)      // offline
        h.send(.transfer(sessionID: id, toAgent: 4), from: a1)      // not connected
        h.send(.transfer(sessionID: id, toAgent: 2), from: a1)      // at capacity (cap 1)
        h.send(.transfer(sessionID: id, toAgent: 1), from: a1)      // already theirs
        h.send(.transfer(sessionID: 99, toAgent: 2), from: a1)      // no such chat
        XCTAssertEqual(h.errorCodes(to: a1, since: m),
                       [.notYourSession, .agentUnavailable, .agentUnavailable, .agentUnavailable, .atCapacity,
                        .invalidField, .unknownSession])
        XCTAssertEqual(h.persisted(since: m), [])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [id])
        _ = a2
    }

    /// A chat transferred to someone who is away (or a supervisor watching the board, away by default) would
    /// wait for an answer that never comes: refused; the chat stays with its agent.
    func testTransferToAwayAgentOrBoardSupervisorIsRefused() {
        let h = EngineHarness()
        let a1 = h.connectAgent(Fixture.agent(1))
        let (_, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        h.connectAgent(Fixture.agent(2), available: false)     // connected but away
        h.connect(.staff(Fixture.supervisor(9)))
        let m = h.mark
        h.send(.transfer(sessionID: id, toAgent: 2), from: a1)
        h.send(.transfer(sessionID: id, toAgent: 9), from: a1)
        XCTAssertEqual(h.errorCodes(to: a1, since: m), [.agentUnavailable, .agentUnavailable])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [id])
        XCTAssertEqual(h.persisted(since: m), [])
    }

    func testTransferFreesCapacityForTheQueue() {
        let h = EngineHarness(config: EngineConfig(agentSessionCap: 1))
        let a1 = h.connectAgent(Fixture.agent(1))
        let (_, first) = h.openChat(Fixture.customer("c1"), org: Fixture.org())
        let (waiting, second) = h.openChat(Fixture.customer("c2"), org: Fixture.org())
        XCTAssertEqual(h.engine.queuedSessionIDs, [second])
        // A supervisor answering in the agent console (Available) is not routed to, but may receive transfers.
        h.connectAgent(Fixture.supervisor(2))
        XCTAssertEqual(h.engine.activeSessions(of: 2), [])
        h.send(.transfer(sessionID: first, toAgent: 2), from: a1)
        XCTAssertEqual(h.engine.activeSessions(of: 2), [first])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [second])
        h.commitAll()
        XCTAssertEqual(h.events(to: waiting).map(\.kind), [.joined])
    }
}

final class DisconnectTests: XCTestCase {
    func testAgentReconnectingWithinGraceKeepsSessions() {
        let h = EngineHarness(config: EngineConfig(agentGraceSeconds: 60))
        let a1 = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        h.connectAgent(Fixture.agent(2))
        XCTAssertEqual(h.engine.nextDeadline, h.budgetDeadline(of: [id]), "only the quick-question budget is due")
        h.disconnect(a1)
        XCTAssertEqual(h.engine.nextDeadline, h.clock.now().addingTimeInterval(60))
        // A new chat during grace goes to agent 2, not to the disconnected agent 1.
        let (_, other) = h.openChat(Fixture.customer("bob"), org: Fixture.org())
        XCTAssertEqual(h.engine.activeSessions(of: 2), [other])
        let m = h.mark
        XCTAssertEqual(h.advance(by: 59), [])
        let back = h.connect(.staff(Fixture.agent(1)))
        XCTAssertEqual(h.engine.nextDeadline, h.budgetDeadline(of: [id, other]), "the grace deadline is gone")
        XCTAssertEqual(h.summaries(to: back, since: m).map(\.record.id), [id])
        h.advance(by: 120)
        XCTAssertEqual(h.engine.activeSessions(of: 1), [id])
        XCTAssertEqual(h.persisted(since: m), [])
        // After resuming, the agent is back in the conversation.
        h.send(.sync(sessionID: id, afterSeq: 2), from: back)
        let m2 = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "m", text: "hi"), from: customer)
        h.commitAll()
        XCTAssertEqual(h.events(to: back, since: m2).map(\.seq), [3])
    }

    func testSessionsReturnToTheFrontOfTheQueueAfterGrace() {
        let h = EngineHarness(config: EngineConfig(agentSessionCap: 2, agentGraceSeconds: 30))
        let a1 = h.connectAgent(Fixture.agent(1))
        let (c1, s1) = h.openChat(Fixture.customer("c1"), org: Fixture.org())
        h.clock.advance(by: 1)
        let (c2, s2) = h.openChat(Fixture.customer("c2"), org: Fixture.org())
        XCTAssertEqual(h.engine.activeSessions(of: 1), [s1, s2])
        h.clock.advance(by: 1)
        let (c3, s3) = h.openChat(Fixture.customer("c3"), org: Fixture.org())
        XCTAssertEqual(h.engine.queuedSessionIDs, [s3])
        h.disconnect(a1)
        let deadline = h.clock.now().addingTimeInterval(30)
        XCTAssertEqual(h.engine.nextDeadline, deadline)
        let m = h.mark
        h.advance(by: 30)
        XCTAssertEqual(h.engine.queuedSessionIDs, [s1, s2, s3])
        XCTAssertEqual(h.engine.activeSessions(of: 1), [])
        XCTAssertEqual(h.engine.status(of: 1), .available, "availability survives a dropped connection")
        XCTAssertEqual(h.engine.nextDeadline, h.engine.sessionRecord(s3)?.queuedAt?.addingTimeInterval(300),
                       "only the long-wait offer of the oldest waiting chat is due")
        let requeued = h.persistedEvents(since: m)
        XCTAssertEqual(requeued.map(\.kind), [.requeued, .requeued])
        XCTAssertEqual(requeued.map(\.seq), [3, 3])
        XCTAssertEqual(requeued.first?.reason, "agent_disconnected")
        XCTAssertEqual(h.engine.sessionRecord(s1)?.state, .queued)
        XCTAssertNil(h.engine.sessionRecord(s1)?.agent)
        XCTAssertEqual(h.engine.sessionRecord(s1)?.queuedAt, h.clock.now())
        XCTAssertEqual(h.queuePositions(to: c3, since: m), [3])
        h.commitAll()
        XCTAssertEqual(h.events(to: c1, since: m).map(\.kind), [.requeued])
        XCTAssertEqual(h.queuePositions(to: c1, since: m), [1])
        XCTAssertEqual(h.queuePositions(to: c2, since: m), [2])

        // Another agent comes: it gets the requeued chats first, in their order.
        let m2 = h.mark
        let a2 = h.connectAgent(Fixture.agent(2))
        XCTAssertEqual(h.engine.activeSessions(of: 2), [s1, s2])
        XCTAssertEqual(h.engine.queuedSessionIDs, [s3])
        XCTAssertEqual(h.queuePositions(to: c3, since: m2), [1])
        h.commitAll()
        XCTAssertEqual(h.events(to: a2, session: s1, since: m2).map(\.kind), [.requested, .joined, .requeued, .joined])
        XCTAssertEqual(h.events(to: c1, since: m2).map(\.kind), [.joined])
        _ = c2
    }

    func testGraceExpiryRoutesToAnAlreadyAvailableAgent() {
        let h = EngineHarness(config: EngineConfig(agentGraceSeconds: 10))
        let a1 = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        let a2 = h.connectAgent(Fixture.agent(2))
        h.disconnect(a1)
        let m = h.mark
        h.advance(by: 10)
        XCTAssertEqual(h.engine.activeSessions(of: 2), [id])
        XCTAssertEqual(h.persistedEvents(since: m).map(\.kind), [.requeued, .joined])
        h.commitAll()
        XCTAssertEqual(h.events(to: customer, since: m).map(\.kind), [.requeued, .joined])
        XCTAssertEqual(h.events(to: a2, session: id, since: m).map(\.kind), [.requested, .joined, .requeued, .joined])
        // The returning agent 1 does not get its old chat back; it is still Available for new ones.
        let back = h.connect(.staff(Fixture.agent(1)))
        XCTAssertEqual(h.messages(to: back).first, .status(.available))
        XCTAssertEqual(h.summaries(to: back), [])
    }

    func testCustomerDisconnectDoesNotAffectTheSession() {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        h.disconnect(customer)
        XCTAssertEqual(h.engine.nextDeadline, h.budgetDeadline(of: [id]), "no grace period for customers")
        let m = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "a", text: "are you there?"), from: agent)
        h.commitAll()
        XCTAssertEqual(h.acks(to: agent, since: m).map(\.seq), [3])
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .active)
    }
}

final class CloseTests: XCTestCase {
    func testCloseByCustomerAgentAndSupervisor() {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let sup = h.connect(.staff(Fixture.supervisor(9)))
        let chats = (1...3).map { h.openChat(Fixture.customer("c\($0)"), org: Fixture.org()) }
        let closers: [(ConnectionID, String)] = [(chats[0].0, "customer"), (agent, "agent"), (sup, "supervisor")]
        for ((_, id), (closer, reason)) in zip(chats, closers) {
            let m = h.mark
            h.send(.close(sessionID: id), from: closer)
            XCTAssertEqual(h.errorCodes(to: closer, since: m), [])
            let written = h.persistedEvents(since: m)
            XCTAssertEqual(written.map(\.kind), [.closed])
            XCTAssertEqual(written.first?.reason, reason)
            XCTAssertEqual(h.engine.sessionRecord(id)?.state, .closed, "kept until the commit")
            h.commitAll()
            XCTAssertNil(h.engine.sessionRecord(id))
        }
        XCTAssertEqual(h.engine.activeSessions(of: 1), [])
        XCTAssertEqual(h.engine.openSessionCount, 0)
        // Each customer saw its chat's close (as event; the close was not theirs except the first).
        XCTAssertEqual(h.events(to: chats[0].0).map(\.kind), [.joined, .closed])
        XCTAssertEqual(h.events(to: chats[1].0).last?.author.role, .agent)
        XCTAssertEqual(h.events(to: chats[2].0).last?.author.role, .supervisor)
        // Closing again: session_closed.
        let m = h.mark
        h.send(.close(sessionID: chats[0].1), from: chats[0].0)
        XCTAssertEqual(h.errorCodes(to: chats[0].0, since: m), [.sessionClosed])
        // A closed session is read from storage on sync.
        let m2 = h.mark
        h.send(.sync(sessionID: chats[1].1, afterSeq: 0), from: chats[1].0)
        XCTAssertEqual(h.since(m2), [.loadHistory(chats[1].0, sessionID: chats[1].1, afterSeq: 0)])
    }

    func testClosingFreesCapacityForTheNextQueuedChat() {
        let h = EngineHarness(config: EngineConfig(agentSessionCap: 1))
        let agent = h.connectAgent(Fixture.agent(1))
        let (_, first) = h.openChat(Fixture.customer("c1"), org: Fixture.org())
        let (waiting, second) = h.openChat(Fixture.customer("c2"), org: Fixture.org())
        XCTAssertEqual(h.engine.queuedSessionIDs, [second])
        let m = h.mark
        h.send(.close(sessionID: first), from: agent)
        XCTAssertEqual(h.engine.activeSessions(of: 1), [second])
        h.commitAll()
        XCTAssertEqual(h.events(to: waiting, since: m).map(\.kind), [.joined])
        XCTAssertEqual(h.events(to: agent, session: second, since: m).map(\.kind), [.requested, .joined])
        XCTAssertEqual(h.events(to: agent, session: first, since: m).map(\.kind), [.closed])
    }

    func testNewChatAfterCloseIsAllowed() {
        let h = EngineHarness()
        let (c, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        h.send(.close(sessionID: id), from: c)
        h.commitAll()
        let m = h.mark
        XCTAssertEqual(h.requestChat(c), id + 1)
        XCTAssertEqual(h.errorCodes(to: c, since: m), [])
    }

    func testAgentCannotCloseAQueuedChatButSupervisorCan() {
        let h = EngineHarness()
        let (_, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        let agent = h.connectAgent(Fixture.agent(1), available: false)
        let sup = h.connect(.staff(Fixture.supervisor(9)))
        let m = h.mark
        h.send(.close(sessionID: id), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent, since: m), [.notYourSession])
        h.send(.close(sessionID: id), from: sup)
        XCTAssertEqual(h.errorCodes(to: sup, since: m), [])
        XCTAssertEqual(h.engine.queuedSessionIDs, [])
    }
}
