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
