import XCTest
@testable import ChatCore

final class SyncTests: XCTestCase {
    private func activeChat(_ config: EngineConfig = EngineConfig()) -> (EngineHarness, ConnectionID, ConnectionID, SessionID) {
        let h = EngineHarness(config: config)
        let agent = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        return (h, customer, agent, id)
    }

    private func exchange(_ h: EngineHarness, _ id: SessionID, from connection: ConnectionID, count: Int, prefix: String) {
        for i in 0..<count {
            h.send(.sendMessage(sessionID: id, clientID: "\(prefix)\(i)", text: "\(prefix) \(i)"), from: connection)
        }
    }

    /// Seqs of events to a connection for a session, as events (not acks).
    private func seqs(_ h: EngineHarness, _ c: ConnectionID, _ id: SessionID, since m: Int) -> [Seq] {
        h.events(to: c, session: id, since: m).map(\.seq)
    }

    func testSecondConnectionResumesAfterSeq() {
        let (h, customer, _, id) = activeChat()
        exchange(h, id, from: customer, count: 5, prefix: "m")     // seqs 3...7
        h.commitAll()
        let second = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        // On hello the customer is told about its open session (not yet subscribed).
        XCTAssertEqual(h.summaries(to: second).map(\.lastSeq), [7])
        XCTAssertEqual(h.events(to: second), [])
        let m = h.mark
        h.send(.sync(sessionID: id, afterSeq: 4), from: second)
        let sent = h.sessionMessages(to: second, session: id, since: m)
        guard case .session(let summary)? = sent.first else { return XCTFail("\(sent)") }
        XCTAssertEqual(summary.lastSeq, 7)
        XCTAssertEqual(sent.dropFirst().compactMap { m -> Seq? in if case .event(let e) = m { return e.seq } else { return nil } }, [5, 6, 7])
        XCTAssertEqual(sent.last, .synced(sessionID: id, lastSeq: 7))
        XCTAssertEqual(h.loadHistoryEffects(since: m).count, 0)
        // Live events follow.
        let m2 = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "live", text: "live"), from: customer)
        h.commitAll()
        XCTAssertEqual(seqs(h, second, id, since: m2), [8])
        // Syncing from the end gives nothing but synced.
        let m3 = h.mark
        h.send(.sync(sessionID: id, afterSeq: 8), from: second)
        XCTAssertEqual(h.events(to: second, since: m3), [])
        XCTAssertEqual(h.synced(to: second, since: m3).map(\.1), [8])
    }

    func testSyncOlderThanTailLoadsHistoryAndHoldsLiveEvents() {
        let (h, customer, agent, id) = activeChat(EngineConfig(tailSize: 4))
        exchange(h, id, from: customer, count: 8, prefix: "m")    // seqs 3...10
        h.commitAll()
        let second = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        let m = h.mark
        h.send(.sync(sessionID: id, afterSeq: 2), from: second)
        let loads = h.loadHistoryEffects(since: m)
        XCTAssertEqual(loads.count, 1)
        XCTAssertEqual(loads.first?.0, second)
        XCTAssertEqual(loads.first?.1, id)
        XCTAssertEqual(loads.first?.2, 2)
        XCTAssertEqual(h.events(to: second, since: m), [])
        XCTAssertEqual(h.synced(to: second, since: m).count, 0)
        // Storage reads events 3...10 while new ones commit (11, 12) and one is written but not yet reported (13).
        let storage = h.events(of: id).filter { $0.seq > 2 }
        exchange(h, id, from: agent, count: 2, prefix: "a")          // 11, 12
        h.commitAll()
        XCTAssertEqual(seqs(h, second, id, since: m), [], "live events wait for the history")
        exchange(h, id, from: agent, count: 1, prefix: "b")          // 13, not committed
        let storageNow = h.events(of: id).filter { $0.seq > 2 }      // storage already has 13
        XCTAssertEqual(storage.map(\.seq), Array(3...10))
        let m2 = h.mark
        h.historyLoaded(second, sessionID: id, afterSeq: 2, record: h.engine.sessionRecord(id), events: storageNow)
        XCTAssertEqual(seqs(h, second, id, since: m2), Array(3...12))
        XCTAssertEqual(h.synced(to: second, since: m2).map(\.1), [12])
        let m3 = h.mark
        h.commitAll()
        XCTAssertEqual(seqs(h, second, id, since: m3), [13])
        XCTAssertEqual(seqs(h, second, id, since: m), Array(3...13), "no duplicate, no gap")
    }

    func testHistoryOlderThanTheTailIsCompletedWithoutAGap() {
        let (h, customer, agent, id) = activeChat(EngineConfig(tailSize: 4))
        exchange(h, id, from: customer, count: 8, prefix: "m")    // 3...10
        h.commitAll()
        let second = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        let m = h.mark
        h.send(.sync(sessionID: id, afterSeq: 0), from: second)
        XCTAssertEqual(h.loadHistoryEffects(since: m).map(\.2), [0])
        // The read returns 1...10; meanwhile 11...16 commit, so the tail (13...16) no longer meets the read.
        let storage = h.events(of: id)
        exchange(h, id, from: agent, count: 6, prefix: "a")
        h.commitAll()
        let m2 = h.mark
        h.historyLoaded(second, sessionID: id, afterSeq: 0, record: h.engine.sessionRecord(id), events: storage)
        var delivered = seqs(h, second, id, since: m2)
        let reloads = h.loadHistoryEffects(since: m2)
        if let reload = reloads.first {
            XCTAssertEqual(reload.0, second)
            XCTAssertEqual(reload.2, 10)
            XCTAssertEqual(h.synced(to: second, since: m2).count, 0)
            let m3 = h.mark
            h.historyLoaded(second, sessionID: id, afterSeq: 10, record: h.engine.sessionRecord(id),
                            events: h.events(of: id).filter { $0.seq > 10 })
            delivered += seqs(h, second, id, since: m3)
            XCTAssertEqual(h.synced(to: second, since: m3).map(\.1), [16])
        }
        XCTAssertEqual(delivered, Array(1...16), "no gap between the stored history and the in-memory tail")
    }

    func testConnectionThatLeftWhileLoadingIsIgnored() {
        let (h, customer, _, id) = activeChat(EngineConfig(tailSize: 2))
        exchange(h, id, from: customer, count: 4, prefix: "m")
        h.commitAll()
        let second = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        h.send(.sync(sessionID: id, afterSeq: 0), from: second)
        h.disconnect(second)
        let m = h.mark
        h.historyLoaded(second, sessionID: id, afterSeq: 0, record: h.engine.sessionRecord(id), events: h.events(of: id))
        XCTAssertEqual(h.since(m), [])
    }

    func testClosedSessionIsReadFromStorage() {
        let (h, customer, agent, id) = activeChat()
        h.send(.sendMessage(sessionID: id, clientID: "m", text: "bye"), from: customer)
        h.send(.close(sessionID: id), from: agent)
        h.commitAll()
        XCTAssertNil(h.engine.sessionRecord(id))
        XCTAssertEqual(h.engine.openSessionCount, 0)
        let stored = h.events(of: id)
        XCTAssertEqual(stored.map(\.kind), [.requested, .joined, .message, .closed])
        XCTAssertEqual(stored.last?.reason, "agent")
        var closedRecord: ChatSessionRecord?
        for case .updateSession(let r) in h.writes where r.id == id { closedRecord = r }
        XCTAssertEqual(closedRecord?.state, .closed)
        XCTAssertEqual(closedRecord?.closedAt, h.clock.now())

        let m = h.mark
        h.send(.sync(sessionID: id, afterSeq: 1), from: customer)
        XCTAssertEqual(h.since(m), [.loadHistory(customer, sessionID: id, afterSeq: 1)])
        let m2 = h.mark
        h.historyLoaded(customer, sessionID: id, afterSeq: 1, record: closedRecord, events: stored.filter { $0.seq > 1 })
        let sent = h.messages(to: customer, since: m2)
        XCTAssertEqual(sent.count, 5, "\(sent)")
        XCTAssertEqual(h.summaries(to: customer, since: m2).first?.record.state, .closed)
        XCTAssertEqual(h.events(to: customer, since: m2).map(\.seq), [2, 3, 4])
        XCTAssertEqual(sent.last, .synced(sessionID: id, lastSeq: 4))

        // Someone else's closed chat: access is checked on the stored record.
        let bob = h.connectCustomer(Fixture.customer("bob"), org: Fixture.org())
        h.send(.sync(sessionID: id, afterSeq: 0), from: bob)
        let m3 = h.mark
        h.historyLoaded(bob, sessionID: id, afterSeq: 0, record: closedRecord, events: stored)
        XCTAssertEqual(h.messages(to: bob, since: m3).count, 1)
        XCTAssertEqual(h.errorCodes(to: bob, since: m3), [.notYourSession])
        // Nothing in storage either.
        let m4 = h.mark
        h.send(.sync(sessionID: 500, afterSeq: 0), from: bob)
        h.historyLoaded(bob, sessionID: 500, afterSeq: 0, record: nil, events: [])
        XCTAssertEqual(h.errorCodes(to: bob, since: m4), [.unknownSession])
    }

    func testStaffMayFollowAQueuedChatButNotAnotherAgentsChat() {
        let h = EngineHarness()
        let (_, queued) = h.openChat(Fixture.customer("q"), org: Fixture.org())
        let a1 = h.connectAgent(Fixture.agent(1), available: false)
        let m = h.mark
        h.send(.sync(sessionID: queued, afterSeq: 0), from: a1)
        XCTAssertEqual(h.events(to: a1, since: m).map(\.seq), [1])
        XCTAssertEqual(h.synced(to: a1, since: m).map(\.1), [1])
        // Agent 2 takes it: agent 1 may no longer sync it, a supervisor still may.
        let a2 = h.connectAgent(Fixture.agent(2))
        h.commitAll()
        XCTAssertEqual(h.engine.activeSessions(of: 2), [queued])
        let m2 = h.mark
        h.send(.sync(sessionID: queued, afterSeq: 0), from: a1)
        XCTAssertEqual(h.errorCodes(to: a1, since: m2), [.notYourSession])
        let sup = h.connect(.staff(Fixture.supervisor(9)))
        h.send(.sync(sessionID: queued, afterSeq: 0), from: sup)
        XCTAssertEqual(h.events(to: sup, session: queued).map(\.seq), [1, 2])
        _ = a2
    }
}
