import XCTest
@testable import ChatCore

final class MessagingTests: XCTestCase {
    /// One customer chat routed to agent 1 and committed. Returns (harness, customer conn, agent conn, session).
    private func activeChat(_ config: EngineConfig = EngineConfig()) -> (EngineHarness, ConnectionID, ConnectionID, SessionID) {
        let h = EngineHarness(config: config)
        let agent = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .active)
        return (h, customer, agent, id)
    }

    func testMessageIsAckedAfterCommitAndDeliveredToTheOtherSide() {
        let (h, customer, agent, id) = activeChat()
        XCTAssertEqual(h.engine.sessionRecord(id).map { _ in h.events(of: id).count }, 2)   // requested, joined
        let m = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "m1", text: "Hi there"), from: customer)
        XCTAssertFalse(h.anythingSent(to: customer, since: m))
        XCTAssertFalse(h.anythingSent(to: agent, since: m))
        let stored = h.persistedEvents(since: m)
        XCTAssertEqual(stored.map(\.seq), [3])
        XCTAssertEqual(stored.first?.author, Participant(role: .customer, id: "alice", name: "Alice"))
        h.commitAll()
        XCTAssertEqual(h.messages(to: customer, since: m), [.ack(clientID: "m1", sessionID: id, seq: 3, at: stored[0].at)])
        XCTAssertEqual(h.messages(to: agent, since: m), [.event(stored[0])])

        let m2 = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "a1", text: "Hello Alice"), from: agent)
        h.commitAll()
        XCTAssertEqual(h.acks(to: agent, since: m2).map(\.seq), [4])
        XCTAssertEqual(h.events(to: agent, since: m2), [])
        let toCustomer = h.events(to: customer, since: m2)
        XCTAssertEqual(toCustomer.map(\.seq), [4])
        XCTAssertEqual(toCustomer.first?.author.role, .agent)
        XCTAssertEqual(toCustomer.first?.text, "Hello Alice")
    }

    func testSeqsIncreaseWithoutGapsAcrossInterleavedCommits() {
        let (h, customer, agent, id) = activeChat()
        for i in 0..<5 {
            h.send(.sendMessage(sessionID: id, clientID: "c\(i)", text: "c\(i)"), from: customer)
            h.send(.sendMessage(sessionID: id, clientID: "a\(i)", text: "a\(i)"), from: agent)
            if i % 2 == 0 { h.commitAll() }
        }
        // Commit the rest in two partial receipts.
        h.commit([id: 12])
        h.commitAll()
        XCTAssertEqual(h.events(of: id).map(\.seq), Array(1...12))
        // Each side saw every seq exactly once, as event or ack, in order.
        for connection in [customer, agent] {
            let seen = h.sessionMessages(to: connection, session: id).compactMap { message -> Seq? in
                switch message {
                case .event(let e): return e.seq
                case .ack(_, _, let seq, _): return seq
                default: return nil
                }
            }
            XCTAssertEqual(seen, Array(1...12), "connection \(connection)")
        }
        XCTAssertEqual(h.acks(to: customer).filter { $0.sessionID == id }.map(\.seq), [1, 3, 5, 7, 9, 11])
        XCTAssertEqual(h.acks(to: agent).map(\.seq), [4, 6, 8, 10, 12])
    }

    func testPartialReceiptDeliversOnlyUpToItsSeq() {
        let (h, customer, agent, id) = activeChat()
        h.send(.sendMessage(sessionID: id, clientID: "1", text: "one"), from: customer)
        h.send(.sendMessage(sessionID: id, clientID: "2", text: "two"), from: customer)
        let m = h.mark
        h.commit([id: 3])
        XCTAssertEqual(h.acks(to: customer, since: m).map(\.seq), [3])
        XCTAssertEqual(h.events(to: agent, since: m).map(\.seq), [3])
        let m2 = h.mark
        h.commit([id: 4])
        XCTAssertEqual(h.acks(to: customer, since: m2).map(\.seq), [4])
        XCTAssertEqual(h.events(to: agent, since: m2).map(\.seq), [4])
    }

    func testResendBeforeCommitMakesOneEventAndAcksTheNewestConnection() {
        let (h, customer, agent, id) = activeChat()
        h.send(.sendMessage(sessionID: id, clientID: "dup", text: "once"), from: customer)
        // The customer's connection drops; it reconnects, resumes and resends.
        h.disconnect(customer)
        let again = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        h.send(.sync(sessionID: id, afterSeq: 2), from: again)
        let m = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "dup", text: "once"), from: again)
        XCTAssertEqual(h.persisted(since: m), [])
        h.commitAll()
        XCTAssertEqual(h.events(of: id).filter { $0.clientMessageID == "dup" }.count, 1)
        XCTAssertEqual(h.acks(to: again, since: m).map(\.seq), [3])
        XCTAssertEqual(h.events(to: again, since: m), [])
        XCTAssertEqual(h.events(to: agent, since: m).map(\.seq), [3])
    }

    func testResendFromASecondLiveConnectionMovesTheAck() {
        let (h, customer, agent, id) = activeChat()
        let second = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        h.send(.sync(sessionID: id, afterSeq: 2), from: second)
        h.send(.sendMessage(sessionID: id, clientID: "x", text: "hi"), from: customer)
        h.send(.sendMessage(sessionID: id, clientID: "x", text: "hi"), from: second)
        let m = h.mark
        h.commitAll()
        XCTAssertEqual(h.acks(to: second, since: m).map(\.seq), [3])
        // The first connection follows the session too: it gets the event once, not an ack.
        XCTAssertEqual(h.events(to: customer, since: m).map(\.seq), [3])
        XCTAssertEqual(h.events(to: agent, since: m).map(\.seq), [3])
    }

    func testResendAfterCommitIsAckedAgainWithoutAWrite() {
        let (h, customer, agent, id) = activeChat()
        h.send(.sendMessage(sessionID: id, clientID: "k", text: "hello"), from: customer)
        h.commitAll()
        let original = h.acks(to: customer).last
        let m = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "k", text: "hello"), from: customer)
        XCTAssertEqual(h.persisted(since: m), [])
        XCTAssertEqual(h.acks(to: customer, since: m), [original!])
        XCTAssertEqual(original?.at, h.committedEvents(of: id).first { $0.clientMessageID == "k" }?.at)
        XCTAssertFalse(h.anythingSent(to: agent, since: m))
    }

    /// The acknowledgement needs only seq and time: a resend older than the in-memory tail is answered from storage.
    func testResendOlderThanTheTailIsAckedWithTheStoredTime() {
        let (h, customer, agent, id) = activeChat(EngineConfig(tailSize: 2))
        h.send(.sendMessage(sessionID: id, clientID: "old", text: "first"), from: customer)
        h.commitAll()
        let original = h.acks(to: customer).last
        for i in 0..<6 {
            h.clock.advance(by: 1)
            h.send(.sendMessage(sessionID: id, clientID: "n\(i)", text: "n\(i)"), from: customer)
            h.commitAll()
        }
        let m = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "old", text: "first"), from: customer)
        XCTAssertTrue(h.since(m).contains(.findSession(customer, sessionID: id, resend: ClientMessageKey(
            author: AuthorKey(role: .customer, id: "alice"), clientID: "old"))))
        XCTAssertEqual(h.persisted(since: m), [])
        XCTAssertEqual(h.acks(to: customer, since: m), [original!])
        XCTAssertEqual(h.errorCodes(to: customer, since: m), [])
        XCTAssertFalse(h.anythingSent(to: agent, since: m))
    }

    func testEmptyAndTooLongMessagesAreRefused() {
        let (h, customer, _, id) = activeChat(EngineConfig(maxMessageLength: 5))
        let m = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "e", text: "  \n\t"), from: customer)
        h.send(.sendMessage(sessionID: id, clientID: "l", text: "123456"), from: customer)
        h.send(.sendMessage(sessionID: id, clientID: "ok", text: "12345"), from: customer)
        // 5 scalars: é as one scalar each.
        h.send(.sendMessage(sessionID: id, clientID: "u", text: "ééééé"), from: customer)
        XCTAssertEqual(h.errorCodes(to: customer, since: m), [.invalidField, .messageTooLong])
        XCTAssertEqual(h.errorRefs(to: customer, since: m), ["e", "l"])
        XCTAssertEqual(h.persistedEvents(since: m).map(\.clientMessageID), ["ok", "u"])
        // A refused client id is not burnt: it can be used for a valid message.
        h.send(.sendMessage(sessionID: id, clientID: "e", text: "fine"), from: customer)
        XCTAssertEqual(h.persistedEvents(since: m).map(\.seq), [3, 4, 5])
    }

    func testStrangersGetNotYourSession() {
        let (h, _, _, id) = activeChat()
        let otherContact = h.connectCustomer(Fixture.customer("bob"), org: Fixture.org())
        let otherOrg = h.connectCustomer(Fixture.customer("alice", org: "globex"), org: Fixture.org("globex"))
        let otherAgent = h.connectAgent(Fixture.agent(2))
        let m = h.mark
        for c in [otherContact, otherOrg, otherAgent] {
            h.send(.sendMessage(sessionID: id, clientID: "z", text: "intrude"), from: c)
            h.send(.typing(sessionID: id, active: true), from: c)
            h.send(.markRead(sessionID: id, seq: 2), from: c)
            h.send(.sync(sessionID: id, afterSeq: 0), from: c)
            h.send(.close(sessionID: id), from: c)
            XCTAssertEqual(h.errorCodes(to: c, since: m), Array(repeating: .notYourSession, count: 5), "\(c)")
        }
        XCTAssertEqual(h.persisted(since: m), [])
    }

    func testMessagesToClosedOrUnknownChats() {
        let (h, customer, agent, id) = activeChat()
        h.send(.close(sessionID: id), from: customer)
        let m = h.mark
        // Closed but not yet committed (still in memory).
        h.send(.sendMessage(sessionID: id, clientID: "late", text: "wait"), from: customer)
        XCTAssertEqual(h.errorCodes(to: customer, since: m), [.sessionClosed])
        h.commitAll()
        XCTAssertNil(h.engine.sessionRecord(id))
        let m2 = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "later", text: "hello?"), from: customer)
        h.send(.sendMessage(sessionID: id, clientID: "later", text: "hello?"), from: agent)
        h.send(.sendMessage(sessionID: 77, clientID: "x", text: "hello?"), from: customer)
        XCTAssertEqual(h.errorCodes(to: customer, since: m2), [.sessionClosed, .unknownSession])
        XCTAssertEqual(h.errorCodes(to: agent, since: m2), [.sessionClosed])
        XCTAssertEqual(h.persisted(since: m), h.persisted(since: m).filter { _ in false })
    }

    func testAgentMessagingAJustClosedChatIsToldItIsClosed() {
        let (h, customer, agent, id) = activeChat()
        h.send(.close(sessionID: id), from: customer)
        let m = h.mark
        // The close is not committed yet; the agent types a last message.
        h.send(.sendMessage(sessionID: id, clientID: "bye", text: "bye"), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent, since: m), [.sessionClosed])
    }

    func testCustomerMayWriteWhileQueued() {
        let h = EngineHarness()
        let (c, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        let m = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "more", text: "more detail"), from: c)
        h.commitAll()
        XCTAssertEqual(h.acks(to: c, since: m).map(\.seq), [2])
        // The agent who takes it later sees the whole history.
        let a = h.connectAgent(Fixture.agent(1))
        h.commitAll()
        XCTAssertEqual(h.events(to: a, session: id).map(\.kind), [.requested, .message, .joined])
    }

    func testOneAgentWithThreeConcurrentChats() {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let chats = (1...3).map { h.openChat(Fixture.customer("c\($0)"), org: Fixture.org()) }
        XCTAssertEqual(h.engine.activeSessions(of: 1), chats.map(\.1))
        let m = h.mark
        for (index, (customer, id)) in chats.enumerated() {
            h.send(.sendMessage(sessionID: id, clientID: "q\(index)", text: "question \(index)"), from: customer)
            h.send(.sendMessage(sessionID: id, clientID: "r\(index)", text: "answer \(index)"), from: agent)
        }
        h.commitAll()
        for (index, (customer, id)) in chats.enumerated() {
            XCTAssertEqual(h.events(to: agent, session: id, since: m).map(\.text), ["question \(index)"])
            XCTAssertEqual(h.acks(to: agent, since: m).filter { $0.sessionID == id }.map(\.clientID), ["r\(index)"])
            XCTAssertEqual(h.events(to: customer, since: m).map(\.text), ["answer \(index)"])
            XCTAssertEqual(h.acks(to: customer, since: m).map(\.seq), [3])
            // Nothing of the other chats reaches this customer.
            XCTAssertTrue(h.messages(to: customer, since: m).allSatisfy { $0.sessionID == id })
        }
        XCTAssertEqual(h.events(to: agent, since: m).count, 3)
    }

    func testTypingReachesOnlyTheOtherSideAndIsNotStored() {
        let (h, customer, agent, id) = activeChat()
        let second = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        h.send(.sync(sessionID: id, afterSeq: 2), from: second)
        let m = h.mark
        h.send(.typing(sessionID: id, active: true), from: customer)
        XCTAssertEqual(h.since(m), [.send([agent], .typing(sessionID: id, role: .customer, active: true))])
        let m2 = h.mark
        h.send(.typing(sessionID: id, active: false), from: agent)
        XCTAssertEqual(h.since(m2), [.send([customer, second].sorted(), .typing(sessionID: id, role: .agent, active: false))])
    }

    func testReadReceiptsReachOnlyTheOtherSideAndPersistAMarker() {
        let (h, customer, agent, id) = activeChat()
        h.send(.sendMessage(sessionID: id, clientID: "a", text: "x"), from: agent)
        h.commitAll()
        let m = h.mark
        h.send(.markRead(sessionID: id, seq: 3), from: customer)
        XCTAssertEqual(h.since(m), [.persist([.readMarker(sessionID: id, role: .customer, seq: 3)]),
                                    .send([agent], .read(sessionID: id, role: .customer, seq: 3))])
        // Not beyond what is committed; never backwards; no repeat.
        let m2 = h.mark
        h.send(.markRead(sessionID: id, seq: 2), from: customer)
        h.send(.markRead(sessionID: id, seq: 3), from: customer)
        XCTAssertEqual(h.since(m2), [])
        h.send(.sendMessage(sessionID: id, clientID: "b", text: "y"), from: agent)   // seq 4, uncommitted
        let m3 = h.mark
        h.send(.markRead(sessionID: id, seq: 99), from: agent)
        XCTAssertEqual(h.since(m3), [.persist([.readMarker(sessionID: id, role: .agent, seq: 3)]),
                                     .send([customer], .read(sessionID: id, role: .agent, seq: 3))])
        // Summaries carry the read markers.
        let again = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        let summary = h.summaries(to: again).first
        XCTAssertEqual(summary?.customerReadSeq, 3)
        XCTAssertEqual(summary?.agentReadSeq, 3)
    }
}

final class UnsubscribedSenderTests: XCTestCase {
    /// A connection that writes without syncing first still gets its ack (not silence).
    func testSenderThatDidNotSyncIsStillAcked() {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let (_, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        let fresh = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        let m = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "nosync", text: "hi"), from: fresh)
        h.commitAll()
        XCTAssertEqual(h.acks(to: fresh, since: m).map(\.seq), [3])
        XCTAssertEqual(h.events(to: agent, since: m).map(\.seq), [3])
    }
}
