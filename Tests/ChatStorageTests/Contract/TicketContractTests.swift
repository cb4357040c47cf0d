import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Tickets, their history and internal work on every backend; the on-call outbox, and (PostgreSQL, several
/// nodes) that an alert is claimed by one node only.
final class TicketContractTests: StorageContractCase {
    let policy = SupportPolicy.defaults
    let agent = Participant(role: .agent, id: "7", name: "Ann")
    let cathy = Participant(role: .customer, id: "c1", name: "Ann c1")

    func draft(org: OrganizationID = "acme", contact: ContactID = "c1", severity: Int = 2, urgent: Bool = false,
               createdAt: Double = 0, dueIn hours: Double = 8, session: SessionID? = nil) -> TicketDraft {
        TicketDraft(organizationID: org, customer: Fixture.customer(org: org, contact: contact),
                    subject: "Subject", productID: "pressero", category: .incident, severity: severity, urgent: urgent,
                    sessionID: session, convertedBy: session.map { _ in StaffRef(id: 7, name: "Ann") },
                    createdAt: Fixture.at(createdAt), firstResponseDue: Fixture.at(createdAt + hours * 3600),
                    description: "It broke.", createdBy: session == nil ? cathy : agent)
    }

    func testLifecycleHistoryAndRefusals() throws {
        try forEachBackend { store, name in
            let first = try store.createTicket(draft())
            let second = try store.createTicket(draft(createdAt: 1, session: 42))
            XCTAssertEqual([first.number, second.number], [1, 2], name)
            XCTAssertEqual(try store.ticket(number: 2), second, name)
            XCTAssertNil(try store.ticket(number: 3), name)
            XCTAssertEqual(try store.ticketHistory(number: 2).map(\.text), ["Converted from chat 42."], name)

            let reply = try store.replyToTicket(number: 1, actor: agent, text: "Looking", at: Fixture.at(60), policy: policy)
            XCTAssertEqual(reply.ticket.status, .open, name)
            XCTAssertEqual(reply.ticket.firstRespondedAt, Fixture.at(60), name)
            XCTAssertEqual(reply.entries.map(\.seq), [2, 3], name)
            _ = try store.changeTicketStatus(number: 1, to: .awaitingReply, actor: agent, at: Fixture.at(120), policy: policy)
            let back = try store.replyToTicket(number: 1, actor: cathy, text: "Here", at: Fixture.at(180), policy: policy)
            XCTAssertEqual(back.ticket.status, .open, name)
            _ = try store.appendTicketHistory(number: 1, kind: .note, text: "Called them", actor: agent, at: Fixture.at(200))
            let history = try store.ticketHistory(number: 1)
            XCTAssertEqual(history.map(\.seq), [1, 2, 3, 4, 5, 6, 7], name)
            XCTAssertEqual(history.map(\.kind), [.created, .reply, .statusChanged, .statusChanged, .reply, .statusChanged,
                                                 .note], name)
            XCTAssertEqual(history.compactMap(\.toStatus), [.new, .open, .awaitingReply, .open], name)
            XCTAssertEqual(try store.ticket(number: 1), back.ticket, name)

            _ = try store.changeTicketStatus(number: 2, to: .closed, actor: agent, at: Fixture.at(1), policy: policy)
            XCTAssertThrowsError(try store.replyToTicket(number: 2, actor: cathy, text: "Hello?", at: Fixture.at(2),
                                                         policy: policy), name) { error in
                XCTAssertEqual((error as? ChatError)?.code, .ticketClosed, name)
            }
            XCTAssertEqual(try store.ticketHistory(number: 2).count, 2, "a refusal writes nothing (\(name))")
            XCTAssertThrowsError(try store.changeTicketStatus(number: 99, to: .open, actor: agent, at: Fixture.at(3),
                                                              policy: policy), name) { error in
                XCTAssertEqual((error as? StorageError)?.code, "not_found", name)
            }
            XCTAssertThrowsError(try store.appendTicketHistory(number: 1, kind: .statusChanged, text: nil, actor: agent,
                                                               at: Fixture.at(4)), name) { error in
                XCTAssertEqual((error as? StorageError)?.code, "invalid_entry", name)
            }
        }
    }

    func testNotesAssignmentCustomerViewAndFilters() throws {
        try forEachBackend { store, name in
            let ticket = try store.createTicket(draft())
            _ = try store.createTicket(draft(org: "globex", contact: "c2", severity: 1, urgent: true, createdAt: 10, dueIn: 0.01))
            let note = try store.addTicketNote(number: ticket.number, text: "VIP", actor: agent, at: Fixture.at(5))
            XCTAssertEqual(note.entries.map(\.kind), [.note], name)
            let bob = StaffRef(id: 8, name: "Bob")
            XCTAssertEqual(try store.assignTicket(number: ticket.number, to: bob, actor: agent, at: Fixture.at(6)).entries
                .map(\.text), ["Assigned to Bob."], name)
            XCTAssertEqual(try store.assignTicket(number: ticket.number, to: bob, actor: agent, at: Fixture.at(7)).entries,
                           [], "the same assignee again writes nothing (\(name))")
            XCTAssertEqual(try store.ticket(number: ticket.number)?.assignee, bob, name)
            XCTAssertEqual(try store.ticketHistory(number: ticket.number, customerView: true).map(\.kind), [.created], name)
            XCTAssertEqual(try store.ticketHistory(number: ticket.number, customerView: false).map(\.kind),
                           [.created, .note, .assigned], name)

            XCTAssertEqual(try store.tickets(matching: TicketFilter()).map(\.number), [2, 1], "newest first (\(name))")
            XCTAssertEqual(try store.tickets(matching: TicketFilter(organizationID: "acme")).map(\.number), [1], name)
            XCTAssertEqual(try store.tickets(matching: TicketFilter(urgent: true)).map(\.number), [2], name)
            XCTAssertEqual(try store.tickets(matching: TicketFilter(severity: 2)).map(\.number), [1], name)
            XCTAssertEqual(try store.tickets(matching: TicketFilter(dueBefore: Fixture.at(100))).map(\.number), [2], name)
            var assigned = TicketFilter()
            assigned.assigneeID = 8
            XCTAssertEqual(try store.tickets(matching: assigned).map(\.number), [1], name)
            var unassigned = TicketFilter()
            unassigned.unassignedOnly = true
            XCTAssertEqual(try store.tickets(matching: unassigned).map(\.number), [2], name)
            XCTAssertEqual(try store.tickets(matching: TicketFilter(limit: 1, offset: 1)).map(\.number), [1], name)
        }
    }

    func testOneTicketPerRequestAndTheOnCallOutbox() throws {
        try forEachBackend { store, name in
            func urgent(_ org: OrganizationID, at offset: Double, request: String? = nil) throws -> (Ticket, Bool, OnCallQueueing) {
                var d = draft(org: org, severity: 1, urgent: true, createdAt: offset)
                d.requestClientID = request
                let result = try store.createTicketOnce(d, onCall: OnCallRequest(organizationName: org.capitalized,
                                                                                perDay: 2, now: Fixture.at(offset)))
                return (result.ticket, result.created, result.onCall)
            }
            let first = try urgent("acme", at: 0, request: "r1")
            XCTAssertEqual(first.2, .queued, name)
            let again = try urgent("acme", at: 1, request: "r1")
            XCTAssertEqual(again.0.number, first.0.number, name)
            XCTAssertFalse(again.1, name)
            XCTAssertEqual(again.2, .queued, "the first one's alert (\(name))")
            XCTAssertEqual(try urgent("acme", at: 10).2, .queued, name)
            let third = try urgent("acme", at: 20)
            XCTAssertEqual(third.2, .suppressed(limit: 2), name)
            XCTAssertEqual(try store.ticketHistory(number: third.0.number).map(\.kind), [.created, .oncallSuppressed], name)
            XCTAssertEqual(try urgent("globex", at: 30).2, .queued, name)

            let pending = try store.pendingOnCallAlerts(limit: 10)
            XCTAssertEqual(pending.map(\.notice.organizationID), ["acme", "acme", "globex"], name)
            XCTAssertEqual(pending.first?.notice.organizationName, "Acme", name)
            XCTAssertEqual(pending.first?.notice.ticketNumber, first.0.number, name)
            XCTAssertEqual(try store.pendingOnCallAlerts(limit: 10).map(\.id), pending.map(\.id),
                           "a node sees its pending alerts again until finished (\(name))")
            try store.finishOnCallAlert(id: pending[0].id, delivered: true)
            try store.finishOnCallAlert(id: pending[1].id, delivered: false)
            XCTAssertEqual(try store.pendingOnCallAlerts(limit: 10).map(\.id), [pending[2].id], name)
        }
    }

    /// Two threads (on PostgreSQL: two connections, as two nodes would) pull one ticket in different directions
    /// and reply at once: every stored move starts where the previous one ended, history stays gap-free, and one
    /// first response is recorded.
    func testConcurrentChangesStayConsistent() throws {
        try forEachBackend { store, name in
            let ticket = try store.createTicket(draft())
            let rounds = 30
            let outcomes = OutcomeLog()
            let targets: [[TicketStatus]] = [[.open, .onHold], [.awaitingReply, .open]]
            let (agent, policy) = (self.agent, self.policy)
            DispatchQueue.concurrentPerform(iterations: 2) { worker in
                for round in 0..<rounds {
                    do {
                        _ = try store.changeTicketStatus(number: ticket.number, to: targets[worker][round % 2], actor: agent,
                                                         at: Fixture.at(Double(round)), policy: policy)
                        outcomes.record(success: true)
                    } catch let error as ChatError where error.code == .illegalTransition {
                        outcomes.record(success: false)
                    } catch {
                        outcomes.record(error: "\(error)")
                    }
                }
            }
            XCTAssertEqual(outcomes.errors, [], name)
            let history = try store.ticketHistory(number: ticket.number)
            XCTAssertEqual(history.map(\.seq), Array(1...Int64(history.count)), "gap-free (\(name))")
            let moves = history.filter { $0.kind == .statusChanged }
            XCTAssertEqual(moves.count, outcomes.successes, name)
            var current = TicketStatus.new
            for move in moves {
                XCTAssertEqual(move.fromStatus, current, "seq \(move.seq) (\(name))")
                current = move.toStatus!
            }
            XCTAssertEqual(try store.ticket(number: ticket.number)?.status, current, name)

            let fresh = try store.createTicket(draft(createdAt: 5))
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                _ = try? store.replyToTicket(number: fresh.number, actor: agent, text: "reply \(worker)",
                                             at: Fixture.at(Double(100 + worker)), policy: policy)
            }
            let replies = try store.ticketHistory(number: fresh.number)
            XCTAssertEqual(replies.filter { $0.kind == .reply }.count, 4, name)
            XCTAssertEqual(replies.filter { $0.kind == .statusChanged }.count, 1, "only the first reply opens it (\(name))")
            XCTAssertEqual(try store.ticket(number: fresh.number)?.firstRespondedAt,
                           replies.first { $0.kind == .reply }?.at, name)
        }
    }

    /// Two nodes (two stores on one database) polling at once: every alert goes to exactly one of them; a dead
    /// node's claims lapse and another node takes them over.
    func testTwoNodesNeverClaimOneAlert() throws {
        guard let base = try makePostgres() else { throw XCTSkip("PostgreSQL only (CHATD_TEST_POSTGRES_URL)") }
        let other = try PostgresStore(url: base.url, attachmentsRoot: base.attachmentFiles.root)
        for i in 0..<40 {
            var d = draft(contact: "c\(i)", severity: 1, urgent: true, createdAt: Double(i))
            d.requestClientID = "r\(i)"
            _ = try base.createTicketOnce(d, onCall: OnCallRequest(organizationName: "Acme", perDay: 1000, now: Fixture.at(0)))
        }
        let claims = ClaimLog()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let node = i % 2 == 0 ? base : other
            let ids = (try? node.pendingOnCallAlerts(limit: 7).map(\.id)) ?? []
            claims.add(node: i % 2, ids)
        }
        let (first, second) = claims.byNode
        XCTAssertTrue(first.isDisjoint(with: second), "an alert claimed by both nodes: \(first.intersection(second))")
        // Whatever neither has yet goes on the next polls; together they cover every alert.
        let rest = Set(try base.pendingOnCallAlerts(limit: 100).map(\.id)).union(try other.pendingOnCallAlerts(limit: 100).map(\.id))
        XCTAssertEqual(first.union(second).union(rest).count, 40)
        XCTAssertTrue(Set(try other.pendingOnCallAlerts(limit: 100).map(\.id)).isDisjoint(with: first))

        // The first node dies: once its claims lapse, the other node takes its alerts over.
        let lapsed = try XCTUnwrap(first.min())
        try base.executeRaw("UPDATE oncall_outbox SET claimed_until = 0 WHERE id = \(lapsed)")
        XCTAssertTrue(try other.pendingOnCallAlerts(limit: 100).map(\.id).contains(lapsed))
        XCTAssertFalse(try base.pendingOnCallAlerts(limit: 100).map(\.id).contains(lapsed), "now the other node's")
        try other.finishOnCallAlert(id: lapsed, delivered: true)
        XCTAssertFalse(try other.pendingOnCallAlerts(limit: 100).map(\.id).contains(lapsed))
    }
}

/// Which alert ids each node got. Locked.
final class ClaimLog: @unchecked Sendable {
    private let lock = NSLock()
    private var nodes: [Set<Int64>] = [[], []]
    func add(node: Int, _ ids: [Int64]) { lock.withLock { nodes[node].formUnion(ids) } }
    var byNode: (Set<Int64>, Set<Int64>) { lock.withLock { (nodes[0], nodes[1]) } }
}
