import XCTest
@testable import ChatCore

final class RecoveryTests: XCTestCase {
    private let start = Date(timeIntervalSince1970: 1_790_000_000)

    private func events(_ id: SessionID, _ customer: CustomerIdentity, count: Int, agent: StaffRef? = nil) -> [SessionEvent] {
        let author = Participant(role: .customer, id: customer.contactID, name: customer.name)
        return (1...Int64(count)).map { seq in
            if seq == 1 {
                return SessionEvent(sessionID: id, seq: 1, at: start, kind: .requested, author: author, text: "help",
                                    clientMessageID: "r\(id)")
            }
            if seq == 2, let agent {
                return SessionEvent(sessionID: id, seq: 2, at: start, kind: .joined,
                                    author: Participant(role: .agent, id: String(agent.id), name: agent.name), agent: agent)
            }
            return SessionEvent(sessionID: id, seq: seq, at: start, kind: .message, author: author, text: "msg \(seq)",
                                clientMessageID: "m\(id)-\(seq)")
        }
    }

    private func recovered(_ id: SessionID, _ customer: CustomerIdentity, state: SessionState, queuedAt: Date?,
                           count: Int, agent: StaffRef? = nil) -> RecoveredSession {
        let record = ChatSessionRecord(id: id, organizationID: customer.organizationID, customer: customer,
                                       productID: "pressero", subject: "s\(id)", state: state, agent: agent,
                                       createdAt: start, queuedAt: queuedAt, requestClientID: "r\(id)")
        let evs = events(id, customer, count: count, agent: agent)
        var ids: [ClientMessageKey: Seq] = [:]
        for e in evs { if let c = e.clientMessageID { ids[ClientMessageKey(author: AuthorKey(e.author), clientID: c)] = e.seq } }
        return RecoveredSession(record: record, lastSeq: Seq(count), tail: evs, clientMessageIDs: ids)
    }

    private func harness(grace: TimeInterval = 60) -> EngineHarness {
        let agent = StaffRef(id: 1, name: "Agent 1")
        let state = RecoveredState(nextSessionID: 10, openSessions: [
            recovered(5, Fixture.customer("five"), state: .queued, queuedAt: start.addingTimeInterval(20), count: 3),
            recovered(7, Fixture.customer("seven"), state: .active, queuedAt: start, count: 4, agent: agent),
            recovered(6, Fixture.customer("six"), state: .queued, queuedAt: start.addingTimeInterval(10), count: 1),
        ])
        return EngineHarness(config: EngineConfig(agentGraceSeconds: grace), recovered: state,
                             clock: ManualClock(start.addingTimeInterval(100)))
    }

    func testQueueOrderAndSeqNumberingSurviveARestart() {
        let h = harness()
        XCTAssertEqual(h.engine.queuedSessionIDs, [6, 5])
        XCTAssertEqual(h.engine.openSessionCount, 3)
        XCTAssertEqual(h.engine.activeSessions(of: 1), [7])
        let five = h.connectCustomer(Fixture.customer("five"), org: Fixture.org())
        XCTAssertEqual(h.summaries(to: five).map(\.lastSeq), [3])
        XCTAssertEqual(h.queuePositions(to: five), [2])
        h.send(.sync(sessionID: 5, afterSeq: 1), from: five)
        XCTAssertEqual(h.events(to: five, session: 5).map(\.seq), [2, 3])
        let m = h.mark
        h.send(.sendMessage(sessionID: 5, clientID: "new", text: "after restart"), from: five)
        XCTAssertEqual(h.persistedEvents(since: m).map(\.seq), [4])
        h.commitAll()
        XCTAssertEqual(h.acks(to: five, since: m).map(\.seq), [4])
        // A new chat gets the next session id.
        let newcomer = h.connectCustomer(Fixture.customer("new"), org: Fixture.org())
        XCTAssertEqual(h.requestChat(newcomer), 10)
        XCTAssertEqual(h.engine.queuedSessionIDs, [6, 5, 10])
    }

    func testResentClientIDsFromBeforeTheRestartAreDeduplicated() {
        let h = harness()
        let five = h.connectCustomer(Fixture.customer("five"), org: Fixture.org())
        let m = h.mark
        h.send(.sendMessage(sessionID: 5, clientID: "m5-3", text: "msg 3"), from: five)
        XCTAssertEqual(h.persisted(since: m), [])
        let acks = h.acks(to: five, since: m)
        XCTAssertEqual(acks.map(\.seq), [3])
        XCTAssertEqual(acks.first?.at, start)   // the stored event's time
        // The chat request itself too.
        let m2 = h.mark
        h.send(.requestChat(productID: "pressero", subject: "s5", firstMessage: "help", clientID: "r5"), from: five)
        XCTAssertEqual(h.persisted(since: m2), [])
        XCTAssertEqual(h.acks(to: five, since: m2).map(\.seq), [1])
        XCTAssertEqual(h.errorCodes(to: five, since: m2), [])
    }

    func testActiveSessionIsRequeuedIfItsAgentDoesNotReturn() {
        let h = harness(grace: 60)
        XCTAssertEqual(h.engine.nextDeadline, h.clock.now().addingTimeInterval(60))
        let seven = h.connectCustomer(Fixture.customer("seven"), org: Fixture.org())
        h.send(.sync(sessionID: 7, afterSeq: 4), from: seven)
        let m = h.mark
        h.advance(by: 30)
        XCTAssertEqual(h.persisted(since: m), [])
        h.advance(by: 30)
        XCTAssertEqual(h.engine.queuedSessionIDs, [7, 6, 5])
        XCTAssertEqual(h.persistedEvents(since: m).map(\.seq), [5])
        XCTAssertEqual(h.persistedEvents(since: m).map(\.kind), [.requeued])
        h.commitAll()
        XCTAssertEqual(h.events(to: seven, since: m).map(\.kind), [.requeued])
        XCTAssertEqual(h.queuePositions(to: seven, since: m), [1])
        // A new agent gets the requeued chat first.
        let a2 = h.connectAgent(Fixture.agent(2))
        XCTAssertEqual(h.engine.activeSessions(of: 2), [7, 6, 5])
        h.commitAll()
        XCTAssertEqual(h.events(to: a2, session: 7).map(\.seq), [1, 2, 3, 4, 5, 6])
    }

    func testActiveSessionStaysWithItsAgentWhoReturnsInTime() {
        let h = harness(grace: 60)
        h.clock.advance(by: 10)
        let a1 = h.connect(.staff(Fixture.agent(1)))
        XCTAssertEqual(h.engine.nextDeadline, start.addingTimeInterval(10 + 300), "no grace left; only the long-wait offer of chat 6")
        XCTAssertEqual(h.summaries(to: a1).map(\.record.id), [7])
        XCTAssertEqual(h.engine.status(of: 1), .away)
        h.advance(by: 100)
        XCTAssertEqual(h.engine.activeSessions(of: 1), [7])
        XCTAssertEqual(h.engine.queuedSessionIDs, [6, 5])
        h.send(.sync(sessionID: 7, afterSeq: 2), from: a1)
        XCTAssertEqual(h.events(to: a1, session: 7).map(\.seq), [3, 4])
        let m = h.mark
        h.send(.sendMessage(sessionID: 7, clientID: "reply", text: "back"), from: a1)
        h.commitAll()
        XCTAssertEqual(h.acks(to: a1, since: m).map(\.seq), [5])
    }
}
