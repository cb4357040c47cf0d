import XCTest
@testable import ChatCore

final class EligibilityTests: XCTestCase {
    func testHVOrganizationIsQueuedAndAckedOnlyAfterCommit() {
        let h = EngineHarness()
        let alice = Fixture.customer()
        let c = h.connectCustomer(alice, org: Fixture.org(plan: "hv"))
        let m0 = h.mark
        let id = h.requestChat(c, subject: "  Printing  ", text: "My job is stuck", clientID: "req-1")
        XCTAssertEqual(id, 1)
        // Before the commit: writes are asked for, nothing about the session reaches the customer.
        XCTAssertEqual(h.acks(to: c, since: m0), [])
        XCTAssertEqual(h.events(to: c, since: m0), [])
        XCTAssertEqual(h.summaries(to: c, since: m0).count, 0)
        XCTAssertEqual(h.queuePositions(to: c, since: m0), [])
        let persisted = h.persisted(since: m0)
        XCTAssertEqual(persisted.count, 3, "\(persisted)")
        XCTAssertEqual(persisted.first, .registerContact("acme", "alice"))
        guard case .createSession(let record) = persisted[1] else { return XCTFail("\(persisted)") }
        XCTAssertEqual(record.state, .queued)
        XCTAssertEqual(record.subject, "Printing")
        XCTAssertEqual(record.requestClientID, "req-1")
        XCTAssertEqual(record.queuedAt, h.clock.now())
        guard case .appendEvent(let requested) = persisted[2] else { return XCTFail("\(persisted)") }
        XCTAssertEqual(requested.seq, 1)
        XCTAssertEqual(requested.kind, .requested)
        XCTAssertEqual(requested.text, "My job is stuck")
        XCTAssertEqual(requested.clientMessageID, "req-1")
        XCTAssertEqual(h.engine.queuedSessionIDs, [1])

        let m1 = h.mark
        h.commitAll()
        let sent = h.sessionMessages(to: c, session: 1, since: m1)
        XCTAssertEqual(sent.count, 3, "\(sent)")
        guard case .session(let summary) = sent[0] else { return XCTFail("\(sent)") }
        XCTAssertEqual(summary.record.id, 1)
        XCTAssertEqual(summary.record.state, .queued)
        XCTAssertEqual(summary.lastSeq, 1)
        XCTAssertEqual(sent[1], .ack(clientID: "req-1", sessionID: 1, seq: 1, at: requested.at))
        XCTAssertEqual(sent[2], .queuePosition(sessionID: 1, position: 1, expectedWaitSeconds: nil))
        // The sender never gets the .event for its own seq.
        XCTAssertEqual(h.events(to: c, since: m1), [])
    }

    func testBasicPlanIsRefusedWithTicketAlternative() {
        let h = EngineHarness()
        let c = h.connectCustomer(Fixture.customer(), org: Fixture.org(plan: "basic"))
        let m = h.mark
        XCTAssertNil(h.requestChat(c, clientID: "r1"))
        XCTAssertEqual(h.errors(to: c, since: m).map(\.code), [.planExcludesChat])
        XCTAssertEqual(h.errors(to: c, since: m).first?.alternative, "ticket")
        XCTAssertEqual(h.errorRefs(to: c, since: m), ["r1"])
        XCTAssertEqual(h.persisted(since: m), [])
        XCTAssertEqual(h.engine.queuedSessionIDs, [])
    }

    func testBusinessPlanIsRefusedToo() {
        let h = EngineHarness()
        let c = h.connectCustomer(Fixture.customer(), org: Fixture.org(plan: "business"))
        XCTAssertNil(h.requestChat(c))
        XCTAssertEqual(h.errorCodes(to: c), [.planExcludesChat])
    }

    func testEnterprisePlanMayChatAboutEDocBuilder() {
        let h = EngineHarness()
        let c = h.connectCustomer(Fixture.customer(), org: Fixture.org(plan: "enterprise"))
        XCTAssertEqual(h.requestChat(c, product: "edocbuilder"), 1)
        XCTAssertEqual(h.errorCodes(to: c), [])
    }

    func testProductWithoutChatIsRefused() {
        let h = EngineHarness()
        let c = h.connectCustomer(Fixture.customer(), org: Fixture.org(plan: "enterprise"))
        for product in ["pjm", "tflow"] {
            let m = h.mark
            XCTAssertNil(h.requestChat(c, product: product))
            XCTAssertEqual(h.errorCodes(to: c, since: m), [.productExcludesChat])
            XCTAssertEqual(h.errors(to: c, since: m).first?.alternative, "ticket")
        }
        XCTAssertEqual(h.writes, [])
    }

    func testUnknownProductIsRefused() {
        let h = EngineHarness()
        let c = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        XCTAssertNil(h.requestChat(c, product: "photoshop"))
        XCTAssertEqual(h.errorCodes(to: c), [.unknownProduct])
        XCTAssertEqual(h.writes, [])
    }

    func testUnknownOrganizationIsRefused() {
        let h = EngineHarness()
        let c = h.connectCustomer(Fixture.customer(org: "ghost"), org: nil)
        XCTAssertNil(h.requestChat(c))
        XCTAssertEqual(h.errorCodes(to: c), [.unknownOrganization])
        XCTAssertEqual(h.writes, [])
    }

    func testInvalidSubjectAndFirstMessageAreRefused() {
        let h = EngineHarness(config: EngineConfig(maxMessageLength: 10, maxSubjectLength: 5))
        let c = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        XCTAssertNil(h.requestChat(c, subject: "   "))
        XCTAssertNil(h.requestChat(c, subject: "toolong"))
        XCTAssertNil(h.requestChat(c, text: " \n "))
        XCTAssertNil(h.requestChat(c, text: String(repeating: "x", count: 11)))
        XCTAssertEqual(h.errorCodes(to: c), [.invalidField, .invalidField, .invalidField, .messageTooLong])
        XCTAssertEqual(h.writes, [])
    }

    func testOrganizationAtContactLimitRefusesNewContactButAcceptsRegisteredOne() {
        let h = EngineHarness()
        // HV allows 10 authorized contacts; all are taken.
        let taken = Set((1...10).map { "contact\($0)" })
        let org = Fixture.org(plan: "hv", contacts: taken)
        let newcomer = h.connectCustomer(Fixture.customer("zed"), org: org)
        XCTAssertNil(h.requestChat(newcomer))
        XCTAssertEqual(h.errorCodes(to: newcomer), [.authorizedContactsExceeded])
        XCTAssertEqual(h.errors(to: newcomer).first?.alternative, "ticket")

        let registered = h.connectCustomer(Fixture.customer("contact3"), org: org)
        let m = h.mark
        XCTAssertEqual(h.requestChat(registered), 1)
        XCTAssertEqual(h.errorCodes(to: registered), [])
        XCTAssertFalse(h.persisted(since: m).contains { if case .registerContact = $0 { return true } else { return false } })
    }

    func testNewContactIsRegisteredOnceAndThenCountsAgainstTheLimit() {
        let h = EngineHarness()
        // Basic... no: HV with 9 of 10 taken: the first new contact fits, the second does not.
        let org = Fixture.org(plan: "hv", contacts: Set((1...9).map { "c\($0)" }))
        let (bob, first) = h.openChat(Fixture.customer("bob"), org: org)
        XCTAssertEqual(h.writes.filter { $0 == .registerContact("acme", "bob") }.count, 1)
        h.send(.close(sessionID: first), from: bob)
        h.commitAll()
        XCTAssertNil(h.engine.sessionRecord(first))

        // Bob again: already registered, no second registerContact.
        let m = h.mark
        XCTAssertEqual(h.requestChat(bob), 2)
        XCTAssertEqual(h.errorCodes(to: bob, since: m), [])
        XCTAssertEqual(h.writes.filter { if case .registerContact = $0 { return true } else { return false } }.count, 1)

        // Carol connects with the stale organization row (storage has not seen bob's registration yet):
        // the engine still counts bob, so the plan is full.
        let carol = h.connectCustomer(Fixture.customer("carol"), org: org)
        XCTAssertNil(h.requestChat(carol))
        XCTAssertEqual(h.errorCodes(to: carol), [.authorizedContactsExceeded])
    }

    func testSecondOpenChatOfSameContactIsRefused() {
        let h = EngineHarness()
        let (c, _) = h.openChat(Fixture.customer(), org: Fixture.org())
        let m = h.mark
        XCTAssertNil(h.requestChat(c))
        XCTAssertEqual(h.errorCodes(to: c, since: m), [.alreadyInChat])
    }

    func testRepeatedChatRequestWithSameClientIDCreatesOneSession() {
        let h = EngineHarness()
        let alice = Fixture.customer()
        let c1 = h.connectCustomer(alice, org: Fixture.org())
        XCTAssertEqual(h.requestChat(c1, clientID: "r"), 1)
        // The connection drops before the commit; the client resends on a new connection.
        h.disconnect(c1)
        let c2 = h.connectCustomer(alice, org: Fixture.org())
        let m = h.mark
        XCTAssertNil(h.requestChat(c2, clientID: "r"))
        XCTAssertEqual(h.persisted(since: m), [])
        XCTAssertEqual(h.errorCodes(to: c2, since: m), [])
        h.commitAll()
        XCTAssertEqual(h.acks(to: c2, since: m).map(\.seq), [1])
        XCTAssertEqual(h.queuePositions(to: c2, since: m), [1])
        // After the commit, a third try is acknowledged again without a write.
        let m2 = h.mark
        XCTAssertNil(h.requestChat(c2, clientID: "r"))
        XCTAssertEqual(h.persisted(since: m2), [])
        XCTAssertEqual(h.acks(to: c2, since: m2).map(\.seq), [1])
        XCTAssertEqual(h.engine.openSessionCount, 1)
    }
}
