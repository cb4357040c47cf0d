import Foundation
import XCTest
@testable import ChatCore

/// Support hours in the engine: offline refusals with the next opening, urgent tickets, routing that waits.
final class SupportHoursEngineTests: XCTestCase {
    let alice = Fixture.customer("alice")

    private func at(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    func testOutsideHoursChatIsOfflineWithTheNextOpeningInTheCustomersZone() throws {
        // Saturday 2026-11-21 12:00 in Chicago.
        let h = EngineHarness(clock: ManualClock(at("2026-11-21T18:00:00Z")))
        let c = h.connectCustomer(alice, org: Fixture.org())
        h.send(.requestChat(productID: "pressero", subject: "Help", firstMessage: "Hi", clientID: "r1",
                            timeZone: "Europe/Madrid"), from: c)
        let error = try XCTUnwrap(h.errors(to: c).last)
        XCTAssertEqual(error.code, .chatOffline)
        XCTAssertEqual(error.alternative, "ticket")
        XCTAssertEqual(error.details["nextOpening"], "2026-11-23T15:00:00.000Z", "Monday 9:00 in Chicago")
        XCTAssertEqual(error.details["timeZone"], "Europe/Madrid")
        XCTAssertEqual(error.details["nextOpeningText"], SupportCalendar.describe(at("2026-11-23T15:00:00Z"), inZone: "Europe/Madrid"))
        XCTAssertTrue(h.writes.isEmpty, "nothing is created for an offline request")
    }

    func testThanksgivingIsOfflineAndReopensMonday() throws {
        let h = EngineHarness(clock: ManualClock(at("2026-11-26T16:00:00Z")))   // Thursday 10:00 Chicago
        let c = h.connectCustomer(alice, org: Fixture.org())
        h.send(.requestChat(productID: "pressero", subject: "Help", firstMessage: "Hi", clientID: "r1"), from: c)
        XCTAssertEqual(h.errors(to: c).last?.details["nextOpening"], "2026-11-30T15:00:00.000Z")
    }

    func testUrgentOutsideHoursOpensAnUrgentTicketForOnCall() throws {
        let h = EngineHarness(clock: ManualClock(at("2026-11-21T18:00:00Z")))
        let c = h.connectCustomer(alice, org: Fixture.org())
        h.send(.requestChat(productID: "pressero", subject: "Checkout broken", firstMessage: "Nobody can order",
                            clientID: "r1", urgent: true), from: c)
        XCTAssertTrue(h.errors(to: c).isEmpty)
        let request = try XCTUnwrap(h.effects.compactMap { if case .createTicket(let r) = $0 { return r } else { return nil } }.first)
        XCTAssertTrue(request.urgent)
        XCTAssertTrue(request.notifyOnCall)
        XCTAssertEqual(request.severity, 1)
        XCTAssertEqual(request.category, .incident)
        XCTAssertNil(request.sessionID)
        XCTAssertEqual(request.description, "Nobody can order")
        let mark = h.mark
        h.record(h.engine.ticketCreated(requestID: request.id, number: 12, onCallNotified: true))
        XCTAssertEqual(h.messages(to: c, since: mark),
                       [.ticketCreated(number: 12, urgent: true, onCallNotified: true, clientID: "r1")])
    }

    func testResentUrgentRequestNeverOpensASecondTicket() throws {
        let h = EngineHarness(clock: ManualClock(at("2026-11-21T18:00:00Z")))
        let first = h.connectCustomer(alice, org: Fixture.org())
        let urgent = ClientCommand.requestChat(productID: "pressero", subject: "Down", firstMessage: "Nobody can order",
                                               clientID: "u1", urgent: true)
        h.send(urgent, from: first)
        h.disconnect(first)
        // Resent from a new connection while the ticket is being created: no second request, the answer goes there.
        let second = h.connectCustomer(alice, org: Fixture.org())
        h.send(urgent, from: second)
        let requests = h.effects.compactMap { if case .createTicket(let r) = $0 { return r } else { return nil } }
        XCTAssertEqual(requests.count, 1)
        h.record(h.engine.ticketCreated(requestID: requests[0].id, number: 40, onCallNotified: true))
        let answer = ServerMessage.ticketCreated(number: 40, urgent: true, onCallNotified: true, clientID: "u1")
        XCTAssertEqual(h.messages(to: second).filter { if case .ticketCreated = $0 { return true } else { return false } }, [answer])
        // Resent again after the answer: the same ticket number, still one ticket.
        let third = h.connectCustomer(alice, org: Fixture.org())
        h.send(urgent, from: third)
        XCTAssertEqual(h.messages(to: third).last, answer)
        XCTAssertEqual(h.effects.filter { if case .createTicket = $0 { return true } else { return false } }.count, 1)
    }

    func testQueuedChatsWaitForOpeningAndThenRoute() {
        // Friday 2026-11-20 16:59 in Chicago: the chat is accepted and queued, nobody is available.
        var policy = SupportPolicy.defaults
        policy.chat.maxQueueMinutes = 0   // no long-wait offer: only the opening is due
        let h = EngineHarness(policy: policy, clock: ManualClock(at("2026-11-20T22:59:00Z")))
        let (_, id) = h.openChat(alice, org: Fixture.org())
        XCTAssertEqual(h.engine.queuedSessionIDs, [id])
        h.clock.set(at("2026-11-20T23:01:00Z"))   // 17:01: closed
        _ = h.connectAgent(Fixture.agent(1))
        XCTAssertEqual(h.engine.queuedSessionIDs, [id], "no routing outside hours")
        XCTAssertEqual(h.engine.nextDeadline, at("2026-11-23T15:00:00Z"), "routing resumes at Monday's opening")
        h.clock.set(at("2026-11-23T15:00:00Z"))
        h.record(h.engine.advance())
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .active)
    }

    func testRoutingOutsideHoursWhenPolicyAllows() {
        var policy = SupportPolicy.defaults
        policy.chat.routeOutsideHours = true
        let h = EngineHarness(policy: policy, clock: ManualClock(at("2026-11-20T22:59:00Z")))
        let (_, id) = h.openChat(alice, org: Fixture.org())
        h.clock.set(at("2026-11-20T23:30:00Z"))
        _ = h.connectAgent(Fixture.agent(1))
        XCTAssertEqual(h.engine.sessionRecord(id)?.state, .active)
    }

    func testSpanishOrganizationsFollowMadridHours() throws {
        // 2026-11-23 08:30 UTC = 09:30 in Madrid (open) but 02:30 in Chicago (closed).
        let h = EngineHarness(clock: ManualClock(at("2026-11-23T08:30:00Z")))
        var org = Fixture.org("bcn")
        org.regionID = "spain"
        let c = h.connectCustomer(Fixture.customer("jordi", org: "bcn"), org: org)
        XCTAssertNotNil(h.requestChat(c))
        let us = h.connectCustomer(alice, org: Fixture.org())
        h.send(.requestChat(productID: "pressero", subject: "Help", firstMessage: "Hi", clientID: "r2"), from: us)
        XCTAssertEqual(h.errorCodes(to: us).last, .chatOffline)
    }
}
