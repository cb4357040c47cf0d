import ChatCore
import GRDB
import XCTest
@testable import ChatStorage

/// The ledgers that make resends idempotent across restarts, and the reads that answer about chats that are not
/// in memory (issue 8).
final class ChatStoreLedgerTests: StorageTestCase {
    func testClientIDsAreUniquePerAuthorNotPerSession() throws {
        let store = try makeStore()
        commit([.createSession(Fixture.session(1, state: .active, agent: StaffRef(id: 7, name: "Ann"))),
                .appendEvent(Fixture.message(1, seq: 1, clientID: "m-1", text: "customer's")),
                .appendEvent(Fixture.message(1, seq: 2, clientID: "m-1", text: "agent's", role: .agent))], to: store)
        let customer = ClientMessageKey(author: AuthorKey(role: .customer, id: "c1"), clientID: "m-1")
        let agent = ClientMessageKey(author: AuthorKey(role: .agent, id: "7"), clientID: "m-1")
        XCTAssertEqual(try store.event(sessionID: 1, key: customer)?.text, "customer's")
        XCTAssertEqual(try store.event(sessionID: 1, key: agent)?.text, "agent's")
        XCTAssertNil(try store.event(sessionID: 1, key: ClientMessageKey(author: AuthorKey(role: .agent, id: "8"), clientID: "m-1")))
        // No index keeps (author, client id) unique any more (v8): the engine never appends a second event for one
        // (the model-based test checks it), and recovery hands every open chat's ids back to it.
        let recovered = try store.recoverState(tailSize: 1).openSessions.first?.clientMessageIDs
        XCTAssertEqual(recovered, [customer: 1, agent: 2])
    }

    func testAChatRequestIsFoundForEverAndMakesOneChat() throws {
        let store = try makeStore()
        let closed = Fixture.session(4, state: .closed, closedAt: 9)
        commit([.createSession(closed), .appendEvent(Fixture.message(4, seq: 1, clientID: "req-4"))], to: store)
        let found = try XCTUnwrap(try store.chatRequest(ChatRequestKey(Fixture.customer(), clientID: "req-4")))
        XCTAssertEqual(found.session.record, closed)
        XCTAssertEqual(found.session.lastSeq, 1)
        XCTAssertEqual(found.firstEvent?.seq, 1)
        XCTAssertNil(try store.chatRequest(ChatRequestKey(Fixture.customer(contact: "c2"), clientID: "req-4")),
                     "another contact's request with the same id is another request")
        var twin = Fixture.session(5)
        twin.requestClientID = "req-4"
        XCTAssertThrowsError(try store.dbPool.write { db in
            var prepared = PreparedWrites(db)
            try prepared.apply(.createSession(twin))
        }, "a second chat for the same request is refused by the unique index")
    }

    func testAnUrgentRequestMakesOneTicketEvenWhenAskedAgain() throws {
        let store = try makeStore()
        var draft = TicketDraft(organizationID: "acme", customer: Fixture.customer(), subject: "Down", productID: "pressero",
                                category: .incident, severity: 1, urgent: true, createdAt: Fixture.at(0),
                                firstResponseDue: Fixture.at(3600), description: "Orders fail",
                                createdBy: Participant(role: .customer, id: "c1", name: "Ann c1"))
        draft.requestClientID = "u-1"
        let first = try store.createTicketOnce(draft)
        let again = try store.createTicketOnce(draft)
        XCTAssertTrue(first.created)
        XCTAssertFalse(again.created)
        XCTAssertEqual(again.ticket.number, first.ticket.number)
        draft.requestClientID = "u-2"
        XCTAssertNotEqual(try store.createTicketOnce(draft).ticket.number, first.ticket.number)
        XCTAssertEqual(try store.tickets(matching: TicketFilter()).count, 2)
    }

    func testHistoryPagesChecksAccessBeforeReadingEvents() throws {
        let store = try makeStore()
        let ann = StaffRef(id: 7, name: "Ann")
        var writes: [StorageWrite] = [.createSession(Fixture.session(2, state: .closed, agent: ann, closedAt: 5)),
                                      .appendEvent(Fixture.joined(2, seq: 1, agent: ann))]
        writes += (2...10).map { .appendEvent(Fixture.message(2, seq: Seq($0))) }
        commit(writes, to: store)
        var seen: [Seq] = []
        var after: Seq = 0
        while true {
            let page = try store.historyPage(sessionID: 2, afterSeq: after, limit: 4) { _ in true }
            seen += page.events.map(\.seq)
            after = page.events.last?.seq ?? after
            if page.isLast { break }
        }
        XCTAssertEqual(seen, Array(1...10))
        let refused = try store.historyPage(sessionID: 2, afterSeq: 0, limit: 4, staffCandidate: 7) { _ in false }
        XCTAssertEqual(refused.events, [])
        XCTAssertEqual(refused.session?.handledBy, [7], "agent 7 joined it")
        XCTAssertEqual(try store.storedSession(id: 2, staffCandidate: 8)?.handledBy, [], "agent 8 never did")
        XCTAssertNil(try store.historyPage(sessionID: 99, afterSeq: 0, limit: 4) { _ in true }.session)
    }

    func testRecoveryBringsBackReadMarkersOrganizationsAndAvailability() throws {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv", regionID: "spain")
        let ann = try store.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "x")
        commit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1, clientID: "req-1")),
                .appendEvent(Fixture.message(1, seq: 2)), .readMarker(sessionID: 1, role: .customer, seq: 2),
                .registerContact("acme", "c1"), .staffStatus(ann.id, .available)], to: store)
        let state = try store.recoverState(tailSize: 10)
        XCTAssertEqual(state.openSessions.first?.customerReadSeq, 2)
        XCTAssertEqual(state.organizations.map(\.id), ["acme"])
        XCTAssertEqual(state.organizations.first?.regionID, "spain")
        XCTAssertEqual(state.organizations.first?.authorizedContacts, ["c1"])
        XCTAssertEqual(state.staff, [RecoveredStaff(identity: ann, status: .available)])
    }

    func testTheMigrationKeepsOnlyTheFirstChatOfADuplicatedRequest() throws {
        // A version-3 database where the old bug made two chats for one request.
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("v3.sqlite").path)
        var migrator = ChatStore.migrator
        migrator = migrator.disablingDeferredForeignKeyChecks()
        try migrator.migrate(queue, upTo: "v3-chat-policy")
        try queue.write { db in
            for id in [1, 2] {
                try db.execute(sql: """
                    INSERT INTO sessions (id, organization_id, contact_id, customer_name, customer_email, product_id, subject,
                                          state, created_at, request_client_id) VALUES (?, 'acme', 'c1', 'A', 'a@x', 'pressero', 's', 'closed', 0, 'r-1')
                    """, arguments: [id])
            }
        }
        try migrator.migrate(queue)
        let kept = try queue.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM sessions WHERE request_client_id = 'r-1'") }
        XCTAssertEqual(kept, [1])
    }
}
