import ChatCore
import Foundation
import GRDB
import XCTest
@testable import ChatStorage

final class TicketStoreTests: StorageTestCase {
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

    func testCreateAssignsIncreasingNumbersAndRecordsCreation() throws {
        let store = try makeStore()
        let first = try store.createTicket(draft())
        let second = try store.createTicket(draft(createdAt: 1, session: 42))
        XCTAssertEqual(first.number, 1)
        XCTAssertEqual(second.number, 2)
        XCTAssertEqual(try store.ticket(number: 1), first)
        XCTAssertEqual(try store.ticket(number: 2), second)
        XCTAssertEqual(second.convertedBy, StaffRef(id: 7, name: "Ann"))
        XCTAssertEqual(second.sessionID, 42)
        XCTAssertNil(try store.ticket(number: 3))

        XCTAssertEqual(try store.ticketHistory(number: 1), [
            TicketHistoryEntry(ticketNumber: 1, seq: 1, at: Fixture.at(0), actor: cathy, kind: .created, toStatus: .new),
        ])
        XCTAssertEqual(try store.ticketHistory(number: 2).map(\.text), ["Converted from chat 42."])
        XCTAssertEqual(try store.ticketHistory(number: 2).map(\.actor), [agent])
    }

    func testHistoryKeepsEveryChangeInOrder() throws {
        let store = try makeStore()
        let ticket = try store.createTicket(draft())
        let reply = try store.replyToTicket(number: ticket.number, actor: agent, text: "Looking", at: Fixture.at(60),
                                            policy: policy)
        XCTAssertEqual(reply.ticket.status, .open)
        XCTAssertEqual(reply.ticket.firstRespondedAt, Fixture.at(60))
        XCTAssertEqual(reply.entries.map(\.seq), [2, 3])
        try store.changeTicketStatus(number: ticket.number, to: .awaitingReply, actor: agent, at: Fixture.at(120),
                                     policy: policy)
        let back = try store.replyToTicket(number: ticket.number, actor: cathy, text: "Here", at: Fixture.at(180),
                                           policy: policy)
        XCTAssertEqual(back.ticket.status, .open)
        try store.appendTicketHistory(number: ticket.number, kind: .note, text: "Called them", actor: agent,
                                      at: Fixture.at(200))

        let history = try store.ticketHistory(number: ticket.number)
        XCTAssertEqual(history.map(\.seq), [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(history.map(\.kind), [.created, .reply, .statusChanged, .statusChanged, .reply, .statusChanged, .note])
        XCTAssertEqual(history.compactMap(\.toStatus), [.new, .open, .awaitingReply, .open])
        XCTAssertEqual(history[1].text, "Looking")
        XCTAssertEqual(history[4].actor, cathy)
        XCTAssertEqual(try store.ticket(number: ticket.number), back.ticket)
        XCTAssertEqual(try store.ticket(number: ticket.number)?.firstRespondedAt, Fixture.at(60))
    }

    func testRefusalsWriteNothing() throws {
        let store = try makeStore()
        let ticket = try store.createTicket(draft())
        try store.changeTicketStatus(number: ticket.number, to: .closed, actor: agent, at: Fixture.at(1), policy: policy)
        XCTAssertThrowsError(try store.replyToTicket(number: ticket.number, actor: cathy, text: "Hello?",
                                                     at: Fixture.at(2), policy: policy)) { error in
            XCTAssertEqual((error as? ChatError)?.code, .ticketClosed)
        }
        XCTAssertThrowsError(try store.changeTicketStatus(number: ticket.number, to: .open, actor: agent,
                                                          at: Fixture.at(3), policy: policy)) { error in
            XCTAssertEqual(error as? ChatError, ChatError(.illegalTransition, "A ticket cannot go from Closed to Open."))
        }
        XCTAssertEqual(try store.ticketHistory(number: ticket.number).count, 2)
        XCTAssertEqual(try store.ticket(number: ticket.number)?.status, .closed)

        XCTAssertThrowsError(try store.changeTicketStatus(number: 99, to: .open, actor: agent, at: Fixture.at(3),
                                                          policy: policy)) { error in
            XCTAssertEqual((error as? StorageError)?.code, "not_found")
        }
        XCTAssertThrowsError(try store.appendTicketHistory(number: ticket.number, kind: .statusChanged, text: nil,
                                                           actor: agent, at: Fixture.at(4))) { error in
            XCTAssertEqual((error as? StorageError)?.code, "invalid_entry")
        }
    }

    func testFilters() throws {
        let store = try makeStore()
        let a1 = try store.createTicket(draft(org: "acme", severity: 1, urgent: true, createdAt: 0, dueIn: 4))
        let a2 = try store.createTicket(draft(org: "acme", contact: "c2", severity: 4, createdAt: 10, dueIn: 40))
        let g1 = try store.createTicket(draft(org: "globex", severity: 1, createdAt: 20, dueIn: 4))
        let g2 = try store.createTicket(draft(org: "globex", severity: 2, createdAt: 30, dueIn: 8))
        try store.replyToTicket(number: g1.number, actor: agent, text: "Hi", at: Fixture.at(40), policy: policy)
        try store.changeTicketStatus(number: g2.number, to: .closed, actor: agent, at: Fixture.at(50), policy: policy)

        func numbers(_ filter: TicketFilter) throws -> [Int64] { try store.tickets(matching: filter).map(\.number) }
        XCTAssertEqual(try numbers(TicketFilter()), [g2.number, g1.number, a2.number, a1.number], "newest first")
        XCTAssertEqual(try numbers(TicketFilter(organizationID: "acme")), [a2.number, a1.number])
        XCTAssertEqual(try numbers(TicketFilter(organizationID: "acme", contactID: "c2")), [a2.number])
        XCTAssertEqual(try numbers(TicketFilter(status: .new)), [a2.number, a1.number])
        XCTAssertEqual(try numbers(TicketFilter(status: .open)), [g1.number])
        XCTAssertEqual(try numbers(TicketFilter(severity: 1)), [g1.number, a1.number])
        XCTAssertEqual(try numbers(TicketFilter(urgent: true)), [a1.number])
        XCTAssertEqual(try numbers(TicketFilter(urgent: false)), [g2.number, g1.number, a2.number])
        XCTAssertEqual(try numbers(TicketFilter(limit: 2)), [g2.number, g1.number])
        XCTAssertEqual(try numbers(TicketFilter(limit: 2, offset: 2)), [a2.number, a1.number])
        // Due before 5 h: a1 (due 4 h, unanswered). g1 is answered, g2 closed, a2 due at 40 h.
        XCTAssertEqual(try numbers(TicketFilter(dueBefore: Fixture.at(5 * 3600))), [a1.number])
        XCTAssertEqual(try numbers(TicketFilter(dueBefore: Fixture.at(4 * 3600))), [], "strictly before")
        XCTAssertEqual(try numbers(TicketFilter(dueBefore: Fixture.at(41 * 3600))), [a2.number, a1.number])
        XCTAssertEqual(try numbers(TicketFilter(organizationID: "globex", dueBefore: Fixture.at(99 * 3600))), [])
    }

    func testConcurrentStatusChangesStayConsistent() throws {
        let store = try makeStore()
        let ticket = try store.createTicket(draft())
        let rounds = 40
        let outcomes = OutcomeLog()
        // Two threads pull the ticket in different directions; each move is legal from some statuses only.
        // Whatever the interleaving, every stored move must start where the previous one ended.
        let targets: [[TicketStatus]] = [[.open, .onHold], [.awaitingReply, .open]]
        let (agent, policy) = (self.agent, self.policy)
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for round in 0..<rounds {
                let to = targets[worker][round % 2]
                do {
                    try store.changeTicketStatus(number: ticket.number, to: to, actor: agent,
                                                 at: Fixture.at(Double(round)), policy: policy)
                    outcomes.record(success: true)
                } catch let error as ChatError where error.code == .illegalTransition {
                    outcomes.record(success: false)
                } catch {
                    outcomes.record(error: "\(error)")
                }
            }
        }
        XCTAssertEqual(outcomes.errors, [])
        XCTAssertEqual(outcomes.successes + outcomes.refusals, 2 * rounds)
        let history = try store.ticketHistory(number: ticket.number)
        XCTAssertEqual(history.map(\.seq), Array(1...Int64(history.count)), "gap-free")
        let moves = history.filter { $0.kind == .statusChanged }
        XCTAssertEqual(moves.count, outcomes.successes)
        var current = TicketStatus.new
        for move in moves {
            XCTAssertEqual(move.fromStatus, current, "seq \(move.seq)")
            XCTAssertTrue(policy.allowsTransition(from: move.fromStatus!, to: move.toStatus!))
            current = move.toStatus!
        }
        XCTAssertEqual(try store.ticket(number: ticket.number)?.status, current)
    }

    func testConcurrentFirstRepliesRecordOneFirstResponse() throws {
        let store = try makeStore()
        let ticket = try store.createTicket(draft())
        let (agent, policy) = (self.agent, self.policy)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            _ = try? store.replyToTicket(number: ticket.number, actor: agent, text: "reply \(worker)",
                                         at: Fixture.at(Double(100 + worker)), policy: policy)
        }
        let history = try store.ticketHistory(number: ticket.number)
        XCTAssertEqual(history.filter { $0.kind == .reply }.count, 4)
        XCTAssertEqual(history.filter { $0.kind == .statusChanged }.count, 1, "only the first reply opens it")
        let firstReply = history.first { $0.kind == .reply }!
        XCTAssertEqual(try store.ticket(number: ticket.number)?.firstRespondedAt, firstReply.at)
        XCTAssertEqual(history.map(\.seq), Array(1...Int64(history.count)))
    }

    func testOrganizationRegion() throws {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv", regionID: "spain", createdAt: Fixture.t0)
        try store.createOrganization(id: "globex", name: "Globex", planID: "hv", createdAt: Fixture.t0)
        XCTAssertEqual(try store.organization(id: "acme")?.regionID, "spain")
        XCTAssertNil(try store.organization(id: "globex")?.regionID)
        try store.setOrganizationRegion(id: "globex", regionID: "usa")
        XCTAssertEqual(try store.organizations().map(\.regionID), ["spain", "usa"])
        XCTAssertThrowsError(try store.setOrganizationRegion(id: "nope", regionID: "usa")) { error in
            XCTAssertEqual((error as? StorageError)?.code, "not_found")
        }
    }

    func testServiceOrders() throws {
        let store = try makeStore()
        let order = StoredServiceOrder(sessionID: 5, organizationID: "acme", contactID: "c1", description: "Custom skin",
                                 rateID: "technical", hourlyRate: 150, currency: "USD", estimateHours: 2.5,
                                 proposedBy: 7, acceptedAt: Fixture.at(10))
        let first = try store.recordServiceOrder(order)
        var second = order
        second.estimateHours = nil
        second.acceptedAt = Fixture.at(20)
        let secondID = try store.recordServiceOrder(second)
        XCTAssertLessThan(first, secondID)
        var expected = order
        expected.id = first
        second.id = secondID
        XCTAssertEqual(try store.serviceOrders(sessionID: 5), [expected, second])
        XCTAssertEqual(try store.serviceOrders(sessionID: 6), [])
    }

    func testMigratingAVersion1FileKeepsItsData() throws {
        // A database as the v1 server left it.
        try FileManager.default.createDirectory(atPath: (databasePath as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        do {
            let v1 = try DatabaseQueue(path: databasePath)
            try ChatStore.migrator.migrate(v1, upTo: "v1-core")
            try v1.write { db in
                try db.execute(sql: "INSERT INTO organizations (id, name, plan_id, created_at) VALUES ('acme', 'Acme', 'hv', 0)")
                try db.execute(sql: OrganizationContactRow.insertOrIgnoreSQL, arguments: ["acme", "c1", 0])
                // Plain v1 SQL: app statements know later columns.
                let s = Fixture.session(1)
                try db.execute(sql: """
                    INSERT INTO sessions (id, organization_id, contact_id, customer_name, customer_email, product_id, subject,
                                          state, agent_id, agent_name, created_at, queued_at, closed_at, request_client_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [s.id, s.organizationID, s.customer.contactID, s.customer.name, s.customer.email,
                                     s.productID, s.subject, s.state.rawValue, s.agent?.id, s.agent?.name,
                                     s.createdAt.timeIntervalSince1970, s.queuedAt?.timeIntervalSince1970,
                                     s.closedAt?.timeIntervalSince1970, s.requestClientID])
                try db.execute(sql: """
                    INSERT INTO session_events (session_id, seq, at, kind, author_role, author_id, author_name, text)
                    VALUES (1, 1, ?, 'message', 'customer', 'c1', 'Someone', 'message 1')
                    """, arguments: [Fixture.at(0.25).timeIntervalSince1970])
            }
            XCTAssertEqual(try v1.read { db in try ChatStore.migrator.appliedMigrations(db) }, ["v1-core"])
        }
        let store = try makeStore()
        XCTAssertEqual(try store.appliedMigrations(), ["v1-core", "v2-tickets", "v3-chat-policy", "v4-ledgers", "v5-oncall-outbox", "v6-staff-access",
                                                       "v7-session-aggregates", "v8-lean-events", "v9-event-log", "v10-search", "v11-satisfaction", "v12-canned-replies", "v13-search-header", "v14-audit", "v15-search-file", "v16-ticket-work", "v17-attachments"])
        let acme = try store.organization(id: "acme")
        XCTAssertEqual(acme?.planID, "hv")
        XCTAssertEqual(acme?.authorizedContacts, ["c1"])
        XCTAssertNil(acme?.regionID)
        XCTAssertEqual(try store.session(id: 1), Fixture.session(1))
        XCTAssertEqual(try store.events(sessionID: 1), [Fixture.message(1, seq: 1)])
        // v9 moved the event into the log and indexed it; the search index file is built from it.
        XCTAssertEqual(try store.unindexedEventCount(), 0)
        XCTAssertEqual(try store.indexSearch(), 1)
        let found = try store.search(TranscriptSearch(query: try XCTUnwrap(SearchQuery("message 1"))))
        XCTAssertEqual(found.hits.map(\.summary.record.id), [1])
        XCTAssertEqual(found.hits.first?.seq, 1)
        XCTAssertEqual(try store.tickets(matching: TicketFilter()), [])
        XCTAssertEqual(try store.createTicket(draft()).number, 1)
        try store.setOrganizationRegion(id: "acme", regionID: "spain")
        XCTAssertEqual(try store.organization(id: "acme")?.regionID, "spain")
    }
}

/// Outcomes reported from several threads. Locked.
final class OutcomeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _successes = 0
    private var _refusals = 0
    private var _errors: [String] = []

    func record(success: Bool) { lock.withLock { if success { _successes += 1 } else { _refusals += 1 } } }
    func record(error: String) { lock.withLock { _errors.append(error) } }
    var successes: Int { lock.withLock { _successes } }
    var refusals: Int { lock.withLock { _refusals } }
    var errors: [String] { lock.withLock { _errors } }
}
