import Foundation
import XCTest
@testable import ChatCore

/// The quick-question budget through the engine, with a manual clock (2026-09-21 14:13:20 UTC, a Monday,
/// 09:13 in Chicago: inside USA support hours).
final class QuickQuestionBudgetTests: XCTestCase {
    let alice = Fixture.customer("alice")

    /// A chat with an agent joined and everything committed.
    private func activeChat(_ h: EngineHarness) -> (customer: ConnectionID, agent: ConnectionID, session: SessionID) {
        let agent = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(alice, org: Fixture.org())
        h.commitAll()
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .active)
        return (customer, agent, id)
    }

    private func budgets(to connection: ConnectionID, since mark: Int = 0, _ h: EngineHarness) -> [BudgetStatus] {
        h.messages(to: connection, since: mark).compactMap { if case .budget(let b) = $0 { return b } else { return nil } }
    }

    private func kinds(_ h: EngineHarness, _ id: SessionID, since mark: Int) -> [SessionEventKind] {
        h.persistedEvents(since: mark).filter { $0.sessionID == id }.map(\.kind)
    }

    func testBudgetStartsWhenTheFirstAgentJoinsNotWhileQueued() {
        let h = EngineHarness()
        let (customer, id) = h.openChat(alice, org: Fixture.org())
        h.advance(by: 20 * 60)   // 20 minutes in the queue
        XCTAssertEqual(h.engine.sessionRecord(id)?.budget.stage, .notStarted)
        XCTAssertNil(h.engine.nextDeadline)
        let mark = h.mark
        let agent = h.connectAgent(Fixture.agent(1))
        XCTAssertEqual(h.engine.sessionRecord(id)?.budget.stage, .running)
        let seen = budgets(to: customer, since: mark, h)
        XCTAssertEqual(seen.last?.remainingSeconds, 900)
        XCTAssertEqual(seen.last?.running, true)
        XCTAssertEqual(budgets(to: agent, since: mark, h).last?.remainingSeconds, 900)
        XCTAssertEqual(h.engine.nextDeadline, h.clock.now().addingTimeInterval(12 * 60))
    }

    func testWarningThenOfferThenAcceptConvertsAndCloses() throws {
        let h = EngineHarness()
        let (customer, agent, id) = activeChat(h)
        var mark = h.mark
        h.advance(by: 12 * 60 - 1)
        XCTAssertTrue(kinds(h, id, since: mark).isEmpty, "no warning before 3 minutes are left")
        h.advance(by: 1)
        XCTAssertEqual(kinds(h, id, since: mark), [.budgetWarning])
        h.commitAll()
        XCTAssertTrue(h.events(to: customer, session: id, since: mark).contains { $0.kind == .budgetWarning })
        XCTAssertTrue(h.events(to: agent, session: id, since: mark).contains { $0.kind == .budgetWarning })
        mark = h.mark
        h.advance(by: 3 * 60)
        XCTAssertEqual(kinds(h, id, since: mark), [.conversionOffered])
        XCTAssertEqual(h.engine.sessionRecord(id)?.budget.stage, .offerPending)
        h.commitAll()
        XCTAssertEqual(budgets(to: agent, since: mark, h).last?.stage, .offerPending, "the agent sees the offer is pending")

        // Only the customer answers the offer.
        h.send(.respondToOffer(sessionID: id, accept: true), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent).last, .notYourSession)
        mark = h.mark
        h.send(.respondToOffer(sessionID: id, accept: true), from: customer)
        XCTAssertEqual(kinds(h, id, since: mark), [.offerAccepted])
        let request = try XCTUnwrap(h.since(mark).compactMap { if case .createTicket(let r) = $0 { return r } else { return nil } }.first)
        XCTAssertEqual(request.sessionID, id)
        XCTAssertNil(request.convertedBy)
        XCTAssertEqual(request.slaStart, h.engine.sessionRecord(id)?.createdAt, "the SLA clock starts at the chat's start")
        XCTAssertFalse(request.notifyOnCall)

        mark = h.mark
        h.record(h.engine.ticketCreated(requestID: request.id, number: 4711, onCallNotified: false))
        let produced = h.persistedEvents(since: mark)
        XCTAssertEqual(produced.map(\.kind), [.converted, .closed])
        XCTAssertEqual(produced.first?.ticketNumber, 4711)
        XCTAssertEqual(produced.last?.reason, "converted")
        h.commitAll()
        let seenByCustomer = h.events(to: customer, session: id, since: mark).map(\.kind)
        XCTAssertEqual(seenByCustomer, [.offerAccepted, .converted, .closed], "the ticket number arrives before the chat closes")
        XCTAssertNil(h.engine.sessionRecord(id), "closed and evicted")
    }

    func testDeclineThenAgentContinuesWithoutFurtherOffers() {
        let h = EngineHarness()
        let (customer, agent, id) = activeChat(h)
        h.advance(by: 15 * 60)
        h.commitAll()
        var mark = h.mark
        h.send(.continueChat(sessionID: id), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent, since: mark), [.noPendingOffer], "nothing to continue before a decline")
        h.send(.respondToOffer(sessionID: id, accept: false), from: customer)
        XCTAssertEqual(kinds(h, id, since: mark), [.offerDeclined])
        XCTAssertEqual(h.engine.sessionRecord(id)?.budget.stage, .declined)
        mark = h.mark
        h.send(.continueChat(sessionID: id), from: agent)
        XCTAssertEqual(kinds(h, id, since: mark), [.chatContinued])
        XCTAssertNil(h.engine.nextDeadline)
        mark = h.mark
        h.advance(by: 60 * 60)
        XCTAssertTrue(kinds(h, id, since: mark).isEmpty)
        h.send(.sendMessage(sessionID: id, clientID: "m", text: "still here"), from: customer)
        XCTAssertEqual(kinds(h, id, since: mark), [.message])
    }

    func testDeclineThenAgentCloses() {
        let h = EngineHarness()
        let (customer, agent, id) = activeChat(h)
        h.advance(by: 15 * 60)
        h.send(.respondToOffer(sessionID: id, accept: false), from: customer)
        let mark = h.mark
        h.send(.close(sessionID: id), from: agent)
        XCTAssertEqual(kinds(h, id, since: mark), [.closed])
    }

    func testTransfersKeepTheClockRunning() {
        let h = EngineHarness()
        let (_, agent, id) = activeChat(h)
        _ = h.connectAgent(Fixture.agent(2))
        h.advance(by: 10 * 60)
        let mark = h.mark
        h.send(.transfer(sessionID: id, toAgent: 2), from: agent)
        XCTAssertEqual(h.engine.sessionRecord(id)?.agent?.id, 2)
        h.advance(by: 2 * 60)
        XCTAssertEqual(kinds(h, id, since: mark), [.transferred, .budgetWarning], "warned 12 minutes after the first join")
    }

    func testQueueTimeAfterARequeueDoesNotCount() {
        let h = EngineHarness(config: EngineConfig(agentGraceSeconds: 60))
        let (_, agent, id) = activeChat(h)
        h.advance(by: 4 * 60)
        h.disconnect(agent)
        h.advance(by: 60)                    // grace runs out: back to the queue after 5 minutes used
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .queued)
        h.advance(by: 30 * 60)               // half an hour waiting does not count
        _ = h.connectAgent(Fixture.agent(2))
        let budget = h.engine.sessionRecord(id)?.budget
        XCTAssertEqual(budget?.remaining(at: h.clock.now()), 10 * 60)
        XCTAssertEqual(budget?.stage, .running)
    }

    func testAgentConvertsAtAnyTimeAndFailureRestoresTheChat() throws {
        let h = EngineHarness()
        let (customer, agent, id) = activeChat(h)
        h.send(.convert(sessionID: id, category: .incident, severity: 2, urgent: false), from: customer)
        XCTAssertEqual(h.errorCodes(to: customer).last, .notYourSession)
        h.send(.convert(sessionID: id, category: .incident, severity: 9, urgent: false), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent).last, .invalidField)
        var mark = h.mark
        h.send(.convert(sessionID: id, category: .incident, severity: 2, urgent: false), from: agent)
        let request = try XCTUnwrap(h.since(mark).compactMap { if case .createTicket(let r) = $0 { return r } else { return nil } }.first)
        XCTAssertEqual(request.category, .incident)
        XCTAssertEqual(request.severity, 2)
        XCTAssertEqual(request.convertedBy?.id, 1)
        h.send(.convert(sessionID: id, category: .incident, severity: 2, urgent: false), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent).last, .conversionInProgress)
        mark = h.mark
        h.record(h.engine.ticketCreationFailed(requestID: request.id, message: "disk full"))
        XCTAssertEqual(h.errorCodes(to: agent, since: mark), [.ticketCreationFailed])
        XCTAssertEqual(h.engine.sessionRecord(id)?.budget.stage, .running)
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .active)
    }

    func testProfessionalServicesNeedTheCustomersConsent() throws {
        let h = EngineHarness()
        let (customer, agent, id) = activeChat(h)
        h.send(.proposeServices(sessionID: id, rateID: "gold", description: "Fix the calculator", estimateHours: 2), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent).last, .unknownRate)
        h.send(.proposeServices(sessionID: id, rateID: "technical", description: "Fix it", estimateHours: 0), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent).last, .invalidField)
        h.send(.proposeServices(sessionID: id, rateID: "technical", description: "Fix it", estimateHours: 2), from: customer)
        XCTAssertEqual(h.errorCodes(to: customer).last, .notYourSession)
        var mark = h.mark
        h.send(.proposeServices(sessionID: id, rateID: "technical", description: "Rebuild the pricing calculator", estimateHours: 2.5), from: agent)
        let proposed = try XCTUnwrap(h.persistedEvents(since: mark).first)
        XCTAssertEqual(proposed.kind, .servicesProposed)
        XCTAssertEqual(proposed.proposal?.hourlyRate, 150)
        XCTAssertEqual(proposed.proposal?.estimatedAmount, 375)
        XCTAssertFalse(h.persisted(since: mark).contains { if case .recordServiceOrder = $0 { return true } else { return false } },
                       "nothing billable before consent")
        h.send(.proposeServices(sessionID: id, rateID: "standard", description: "Another", estimateHours: 1), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent).last, .proposalPending)
        h.send(.respondToServices(sessionID: id, accept: true), from: agent)
        XCTAssertEqual(h.errorCodes(to: agent).last, .notYourSession)
        mark = h.mark
        h.send(.respondToServices(sessionID: id, accept: true), from: customer)
        let writes = h.persisted(since: mark)
        guard case .appendEvent(let accepted) = writes.first, case .recordServiceOrder(let order) = writes[1] else {
            return XCTFail("expected the accepted event, then the billable order, in one batch: \(writes)")
        }
        XCTAssertEqual(accepted.kind, .servicesAccepted)
        XCTAssertEqual(order.proposal.description, "Rebuild the pricing calculator")
        XCTAssertEqual(order.contactID, "alice")
        h.send(.respondToServices(sessionID: id, accept: true), from: customer)
        XCTAssertEqual(h.errorCodes(to: customer).last, .noPendingProposal)
    }

    func testDeclinedServicesRecordNothingBillable() {
        let h = EngineHarness()
        let (customer, agent, id) = activeChat(h)
        h.send(.proposeServices(sessionID: id, rateID: "standard", description: "Set up the store", estimateHours: 3), from: agent)
        let mark = h.mark
        h.send(.respondToServices(sessionID: id, accept: false), from: customer)
        XCTAssertEqual(h.persistedEvents(since: mark).map(\.kind), [.servicesDeclined])
        XCTAssertFalse(h.persisted(since: mark).contains { if case .recordServiceOrder = $0 { return true } else { return false } })
    }
}
