import XCTest
@testable import ChatCore

/// Staff-only notes (an agent's internal note, a supervisor's whisper): staff who follow the chat receive them,
/// the customer never does, live or replayed; only staff may write them; they are idempotent like messages.
final class NoteTests: XCTestCase {
    private func activeChat() -> (EngineHarness, customer: ConnectionID, agent: ConnectionID, supervisor: ConnectionID, SessionID) {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let supervisor = h.connect(.staff(Fixture.supervisor(9)))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        h.send(.sync(sessionID: id, afterSeq: 2), from: supervisor)
        h.historyLoaded(supervisor, sessionID: id, afterSeq: 2, record: h.engine.sessionRecord(id), events: h.events(of: id))
        return (h, customer, agent, supervisor, id)
    }

    func testAWhisperReachesStaffOnlyAndIsAcknowledged() {
        let (h, customer, agent, supervisor, id) = activeChat()
        let m = h.mark
        h.send(.addNote(sessionID: id, clientID: "w1", text: "Offer the refund"), from: supervisor)
        h.commitAll()
        let note = try! XCTUnwrap(h.persistedEvents(since: m).first)
        XCTAssertEqual(note.kind, .note)
        XCTAssertEqual(note.author.role, .supervisor)
        XCTAssertEqual(h.acks(to: supervisor, since: m).map(\.seq), [note.seq])
        XCTAssertEqual(h.events(to: agent, since: m), [note])
        XCTAssertEqual(h.messages(to: customer, since: m), [], "the customer gets nothing, not even a frame")

        // The next message reaches the customer with a seq after the note's: a skipped seq, not a lost one.
        let m2 = h.mark
        h.send(.sendMessage(sessionID: id, clientID: "a1", text: "We can refund it"), from: agent)
        h.commitAll()
        XCTAssertEqual(h.events(to: customer, since: m2).map(\.seq), [note.seq + 1])
    }

    func testAReplayToTheCustomerSkipsNotesAndStaffGetThem() {
        let (h, customer, agent, _, id) = activeChat()
        h.send(.addNote(sessionID: id, clientID: "n1", text: "VIP customer"), from: agent)
        h.send(.sendMessage(sessionID: id, clientID: "a1", text: "Hello"), from: agent)
        h.commitAll()
        let stored = h.events(of: id)
        XCTAssertEqual(stored.map(\.kind), [.requested, .joined, .note, .message])
        let m = h.mark
        h.send(.sync(sessionID: id, afterSeq: 0), from: customer)
        h.historyLoaded(customer, sessionID: id, afterSeq: 0, record: h.engine.sessionRecord(id), events: stored)
        XCTAssertEqual(h.events(to: customer, since: m).map(\.kind), [.requested, .joined, .message])
        let m2 = h.mark
        h.send(.sync(sessionID: id, afterSeq: 0), from: agent)
        h.historyLoaded(agent, sessionID: id, afterSeq: 0, record: h.engine.sessionRecord(id), events: stored)
        XCTAssertEqual(h.events(to: agent, since: m2).map(\.kind), [.requested, .joined, .note, .message])
    }

    func testOnlyStaffWhoMayFollowTheOpenChatWriteNotesAndResendsMakeOne() {
        let (h, customer, agent, _, id) = activeChat()
        let m = h.mark
        h.send(.addNote(sessionID: id, clientID: "n1", text: "sneaky"), from: customer)
        XCTAssertEqual(h.errors(to: customer, since: m).map(\.code), [.notYourSession])
        let other = h.connectAgent(Fixture.agent(2))
        h.send(.addNote(sessionID: id, clientID: "n1", text: "not mine"), from: other)
        XCTAssertEqual(h.errors(to: other, since: m).map(\.code), [.notYourSession])
        h.send(.addNote(sessionID: id, clientID: "n2", text: "   "), from: agent)
        XCTAssertEqual(h.errors(to: agent, since: m).map(\.code), [.invalidField])
        XCTAssertEqual(h.persistedEvents(since: m), [])

        h.send(.addNote(sessionID: id, clientID: "n3", text: "once"), from: agent)
        h.send(.addNote(sessionID: id, clientID: "n3", text: "once"), from: agent)
        h.commitAll()
        XCTAssertEqual(h.events(of: id).filter { $0.kind == .note }.map(\.text), ["once"])
        XCTAssertEqual(h.acks(to: agent, since: m).count, 1, "the resend before the commit moved the ack, not doubled it")
    }

    /// Ticket notices: a note or an assignment reaches staff connections only; other changes also the
    /// organization's customers.
    func testTicketNoticesOfInternalWorkGoToStaffOnly() {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let customer = h.connectCustomer(Fixture.customer(), org: Fixture.org())
        let ticket = Ticket(number: 5, organizationID: Fixture.customer().organizationID, customer: Fixture.customer(),
                            subject: "S", productID: "pressero", category: .request, severity: 3, urgent: false,
                            status: .new, createdAt: Date(timeIntervalSince1970: 0),
                            firstResponseDue: Date(timeIntervalSince1970: 3600), description: "D")
        for change in [TicketNoticeKind.note, .assignee] {
            let effects = h.engine.ticketChanged(ticket, change: change)
            XCTAssertEqual(EngineHarness.messages(to: agent, in: effects), [.ticketChanged(ticket, change: change)])
            XCTAssertEqual(EngineHarness.messages(to: customer, in: effects), [], "\(change)")
        }
        let reply = h.engine.ticketChanged(ticket, change: .reply)
        XCTAssertEqual(EngineHarness.messages(to: customer, in: reply), [.ticketChanged(ticket, change: .reply)])
    }
}
