import Foundation
import XCTest
@testable import ChatCore

final class TicketRulesTests: XCTestCase {
    let policy = SupportPolicy.defaults
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    let customer = Participant(role: .customer, id: "c1", name: "Cathy")
    let agent = Participant(role: .agent, id: "7", name: "Ann")
    let supervisor = Participant(role: .supervisor, id: "9", name: "Sue")

    func ticket(_ status: TicketStatus, respondedAt: Date? = nil) -> Ticket {
        Ticket(number: 12, organizationID: "acme",
               customer: CustomerIdentity(organizationID: "acme", contactID: "c1", name: "Cathy", email: "c@acme"),
               subject: "Orders fail", productID: "pressero", category: .incident, severity: 1, urgent: true,
               status: status, createdAt: t0, firstResponseDue: t0.addingTimeInterval(4 * 3600),
               firstRespondedAt: respondedAt, description: "Checkout returns an error.")
    }

    /// The default workflow, written out independently of `SupportPolicy.defaultTicketTransitions`.
    let expectedLegal: [TicketStatus: Set<TicketStatus>] = [
        .new: [.open, .awaitingReply, .onHold, .closed],
        .open: [.awaitingReply, .onHold, .closed],
        .awaitingReply: [.open, .onHold, .closed],
        .onHold: [.open, .awaitingReply, .closed],
        .closed: [],
    ]

    func testEveryPairOfTheDefaultWorkflow() throws {
        var checked = 0
        for from in TicketStatus.allCases {
            for to in TicketStatus.allCases {
                checked += 1
                let legal = expectedLegal[from]!.contains(to)
                XCTAssertEqual(policy.allowsTransition(from: from, to: to), legal, "\(from) -> \(to)")
                do {
                    let decision = try TicketRules.changeStatus(ticket(from), to: to, by: agent, policy: policy)
                    XCTAssertTrue(legal, "\(from) -> \(to) must be refused")
                    XCTAssertEqual(decision.ticket.status, to)
                    XCTAssertEqual(decision.changes, [.statusChanged(from, to)])
                } catch {
                    XCTAssertFalse(legal, "\(from) -> \(to) must be allowed, got \(error)")
                    XCTAssertEqual(error.code, .illegalTransition, "\(from) -> \(to)")
                    if from != to {
                        XCTAssertTrue(error.message.contains(from.displayName) && error.message.contains(to.displayName),
                                      error.message)
                    }
                }
            }
        }
        XCTAssertEqual(checked, 25)
    }

    func testIllegalTransitionMessageNamesBothStatuses() {
        XCTAssertThrowsError(try TicketRules.changeStatus(ticket(.onHold), to: .new, by: supervisor, policy: policy)) { error in
            XCTAssertEqual(error as? ChatError, ChatError(.illegalTransition, "A ticket cannot go from On-Hold to New."))
        }
    }

    func testCustomersCannotChangeStatus() {
        XCTAssertThrowsError(try TicketRules.changeStatus(ticket(.open), to: .closed, by: customer, policy: policy)) { error in
            XCTAssertEqual((error as? ChatError)?.code, .forbidden)
        }
    }

    func testWorkflowComesFromThePolicy() throws {
        var strict = policy
        strict.ticketTransitions = [TicketTransition(from: .new, to: [.closed])]
        XCTAssertThrowsError(try TicketRules.changeStatus(ticket(.new), to: .open, by: agent, policy: strict))
        XCTAssertEqual(try TicketRules.changeStatus(ticket(.new), to: .closed, by: agent, policy: strict).ticket.status, .closed)
        // Without new -> open in the workflow, the first staff reply records the response but leaves the status.
        let decision = try TicketRules.reply(to: ticket(.new), by: agent, text: "Looking", at: t0, policy: strict)
        XCTAssertEqual(decision.ticket.status, .new)
        XCTAssertEqual(decision.ticket.firstRespondedAt, t0)
        XCTAssertEqual(decision.changes.map(\.kind), [.reply])
    }

    func testFirstStaffReplyRecordsTheResponseAndOpensANewTicket() throws {
        let at = t0.addingTimeInterval(3600)
        let decision = try TicketRules.reply(to: ticket(.new), by: agent, text: "On it", at: at, policy: policy)
        XCTAssertEqual(decision.ticket.firstRespondedAt, at)
        XCTAssertEqual(decision.ticket.firstResponseMet, true)
        XCTAssertEqual(decision.ticket.status, .open)
        XCTAssertEqual(decision.changes, [TicketChange(kind: .reply, text: "On it"), .statusChanged(.new, .open)])

        // A later staff reply changes nothing but the history.
        let later = try TicketRules.reply(to: decision.ticket, by: supervisor, text: "More", at: at.addingTimeInterval(60),
                                          policy: policy)
        XCTAssertEqual(later.ticket, decision.ticket)
        XCTAssertEqual(later.changes, [TicketChange(kind: .reply, text: "More")])
    }

    func testFirstStaffReplyOnAnAlreadyMovedTicketKeepsItsStatus() throws {
        let decision = try TicketRules.reply(to: ticket(.onHold), by: agent, text: "Hi", at: t0, policy: policy)
        XCTAssertEqual(decision.ticket.status, .onHold)
        XCTAssertEqual(decision.ticket.firstRespondedAt, t0)
    }

    func testLateFirstResponseIsRecordedAsMissed() throws {
        let late = t0.addingTimeInterval(5 * 3600)
        let decision = try TicketRules.reply(to: ticket(.new), by: agent, text: "Sorry", at: late, policy: policy)
        XCTAssertEqual(decision.ticket.firstResponseMet, false)
    }

    func testCustomerReplyToAwaitingReplyReopens() throws {
        let decision = try TicketRules.reply(to: ticket(.awaitingReply, respondedAt: t0), by: customer, text: "Done",
                                             at: t0, policy: policy)
        XCTAssertEqual(decision.ticket.status, .open)
        XCTAssertEqual(decision.changes, [TicketChange(kind: .reply, text: "Done"), .statusChanged(.awaitingReply, .open)])
    }

    func testCustomerReplyElsewhereChangesNothingButHistory() throws {
        for status in [TicketStatus.new, .open, .onHold] {
            let before = ticket(status)
            let decision = try TicketRules.reply(to: before, by: customer, text: "Any news?", at: t0, policy: policy)
            XCTAssertEqual(decision.ticket, before, "\(status)")
            XCTAssertEqual(decision.changes.map(\.kind), [.reply])
            XCTAssertNil(decision.ticket.firstRespondedAt, "a customer reply is not a first response")
        }
    }

    func testReplyToClosedTicketIsRefusedWithTheNewTicketAlternative() {
        for actor in [customer, agent] {
            XCTAssertThrowsError(try TicketRules.reply(to: ticket(.closed), by: actor, text: "Hello?", at: t0, policy: policy)) { error in
                let chatError = error as? ChatError
                XCTAssertEqual(chatError?.code, .ticketClosed)
                XCTAssertEqual(chatError?.alternative, "ticket")
                XCTAssertTrue(chatError?.message.contains("open a new ticket") ?? false)
            }
        }
    }

    func testEmptyOrOverlongReplyIsInvalid() {
        XCTAssertThrowsError(try TicketRules.reply(to: ticket(.open), by: agent, text: "", at: t0, policy: policy))
        let long = String(repeating: "x", count: TicketRules.maxTextLength + 1)
        XCTAssertThrowsError(try TicketRules.reply(to: ticket(.open), by: agent, text: long, at: t0, policy: policy)) { error in
            XCTAssertEqual((error as? ChatError)?.code, .invalidField)
        }
    }

    func testValidateNew() throws {
        try TicketRules.validateNew(subject: "S", productID: "pjm", severity: 4, description: "D", policy: policy)
        let bad: [(String, String, Int, String, String)] = [
            ("", "pressero", 1, "D", "subject"),
            (String(repeating: "s", count: 201), "pressero", 1, "D", "subject"),
            ("S", "nope", 1, "D", "product"),
            ("S", "pressero", 0, "D", "severity"),
            ("S", "pressero", 5, "D", "severity"),
            ("S", "pressero", 2, "", "description"),
        ]
        for (subject, product, severity, description, field) in bad {
            XCTAssertThrowsError(try TicketRules.validateNew(subject: subject, productID: product, severity: severity,
                                                             description: description, policy: policy)) { error in
                XCTAssertEqual((error as? ChatError)?.code, .invalidField)
                XCTAssertTrue((error as? ChatError)?.message.hasPrefix(field) ?? false, "\(error)")
            }
        }
    }

    func testFirstResponseMetAndOverdue() {
        let open = ticket(.open)
        XCTAssertNil(open.firstResponseMet)
        XCTAssertFalse(open.isFirstResponseOverdue(at: open.firstResponseDue))
        XCTAssertTrue(open.isFirstResponseOverdue(at: open.firstResponseDue.addingTimeInterval(1)))
        XCTAssertFalse(ticket(.closed).isFirstResponseOverdue(at: open.firstResponseDue.addingTimeInterval(1)))
        let answered = ticket(.open, respondedAt: open.firstResponseDue)
        XCTAssertEqual(answered.firstResponseMet, true)
        XCTAssertFalse(answered.isFirstResponseOverdue(at: open.firstResponseDue.addingTimeInterval(99)))
    }
}
