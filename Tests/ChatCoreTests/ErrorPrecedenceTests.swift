import XCTest
@testable import ChatCore

/// Identity and role are checked before state: a refusal never tells a stranger more than "not yours".
final class ErrorPrecedenceTests: XCTestCase {
    func testOnlyTheAssignedAgentConvertsAndStrangersCannotTellStates() {
        let h = EngineHarness()
        let ann = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        let bob = h.connectAgent(Fixture.agent(2), available: false)
        let m = h.mark
        h.send(.convert(sessionID: id, category: .incident, severity: 2, urgent: false), from: customer)
        h.send(.convert(sessionID: id, category: .request, severity: 3, urgent: false), from: bob)
        XCTAssertEqual(h.errorCodes(to: customer, since: m), [.notYourSession])
        XCTAssertEqual(h.errorCodes(to: bob, since: m), [.notYourSession])
        XCTAssertTrue(h.since(m).allSatisfy { if case .createTicket = $0 { return false } else { return true } })
        h.send(.convert(sessionID: id, category: .incident, severity: 9, urgent: false), from: ann)
        XCTAssertEqual(h.errorCodes(to: ann, since: m), [.invalidField])
    }
}

/// Long lists stream with flow control (issue 8.5): a supervisor's session list after hello comes a page at a
/// time, each page once the connection has drained.
final class SessionListStreamingTests: XCTestCase {
    func testASupervisorsSessionListComesInPagesAndCoversEveryOpenChat() {
        let h = EngineHarness(config: EngineConfig(replayPageSize: 2))
        var ids: [SessionID] = []
        for n in 0..<5 { ids.append(h.openChat(Fixture.customer("c\(n)"), org: Fixture.org()).1) }
        let sue = h.connect(.staff(Fixture.supervisor(9)))
        XCTAssertEqual(h.summaries(to: sue).map(\.record.id), Array(ids.prefix(2)))
        var seen = h.summaries(to: sue).map(\.record.id)
        while case .continueSessionList(let connection, let after)? = h.last.last(where: {
            if case .continueSessionList = $0 { return true } else { return false }
        }) {
            XCTAssertEqual(connection, sue)
            let m = h.mark
            h.record(h.engine.sessionListContinued(sue, afterSessionID: after))
            let page = h.summaries(to: sue, since: m).map(\.record.id)
            XCTAssertLessThanOrEqual(page.count, 2)
            seen += page
        }
        XCTAssertEqual(seen, ids)
    }
}
