import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Recovery and the chat lookups on every backend: what a restarted server gets back after writes, and the
/// replay, ledger and resend lookups for chats that are not in memory.
final class RecoveryContractTests: StorageContractCase {
    func testRecoveryReturnsOpenChatsWithTailClientIDsAndMarkers() throws {
        try forEachBackend { backend, name in
            try backend.createOrganization(id: "acme", name: "Acme", planID: "hv", regionID: "usa", createdAt: Fixture.at(0))
            var writes: [StorageWrite] = [.createSession(Fixture.session(1, state: .active)),
                                          .createSession(Fixture.session(2, state: .closed, closedAt: 9)),
                                          .createSession(Fixture.session(3, state: .queued)),   // never got an event
                                          .registerContact("acme", "c1")]
            for seq in 1...8 {
                writes.append(.appendEvent(Fixture.message(1, seq: Seq(seq), clientID: seq % 2 == 0 ? "k\(seq)" : nil,
                                                           role: seq == 5 ? .agent : .customer)))
            }
            writes += [.appendEvent(Fixture.message(2, seq: 1, clientID: "z")),
                       .readMarker(sessionID: 1, role: .customer, seq: 6), .readMarker(sessionID: 1, role: .agent, seq: 4)]
            XCTAssertEqual(write(writes, to: backend).failures.count, 0, name)

            let state = try backend.recoverState(tailSize: 3)
            XCTAssertEqual(state.nextSessionID, 3, "\(name): session 3 was removed")
            XCTAssertEqual(state.openSessions.map(\.record.id), [1], name)
            let open = try XCTUnwrap(state.openSessions.first)
            XCTAssertEqual(open.lastSeq, 8, name)
            XCTAssertEqual(open.tail.map(\.seq), [6, 7, 8], name)
            XCTAssertEqual(open.tail.last, Fixture.message(1, seq: 8, clientID: "k8"), name)
            XCTAssertEqual(open.clientMessageIDs.count, 4, name)
            XCTAssertEqual(open.clientMessageIDs[ClientMessageKey(author: AuthorKey(role: .customer, id: "c1"), clientID: "k6")], 6, name)
            XCTAssertEqual(open.customerReadSeq, 6, name)
            XCTAssertEqual(open.agentReadSeq, 4, name)
            XCTAssertEqual(state.organizations.map(\.id), ["acme"], name)
            XCTAssertEqual(state.organizations.first?.authorizedContacts, ["c1"], name)
            XCTAssertEqual(state.organizations.first?.regionID, "usa", name)
            XCTAssertNil(try backend.session(id: 3), name)
            XCTAssertNotNil(try backend.session(id: 2), "\(name): closed chats stay")
            XCTAssertEqual(try backend.recoverState(tailSize: 0).openSessions.first?.tail, [], name)
        }
    }

    func testHistoryPagesLedgerAndResendLookups() throws {
        try forEachBackend { backend, name in
            var writes: [StorageWrite] = [.createSession(Fixture.session(1, state: .closed, closedAt: 30))]
            for seq in 1...25 { writes.append(.appendEvent(Fixture.message(1, seq: Seq(seq), clientID: "m\(seq)"))) }
            writes.append(.readMarker(sessionID: 1, role: .customer, seq: 20))
            write(writes, to: backend)

            var seqs: [Seq] = []
            var after: Seq = 0
            var pages = 0
            while true {
                let page = try backend.historyPage(sessionID: 1, afterSeq: after, limit: 10, staffCandidate: nil) { _ in true }
                pages += 1
                seqs += page.events.map(\.seq)
                XCTAssertEqual(page.session?.lastSeq, 25, name)
                XCTAssertEqual(page.session?.customerReadSeq, 20, name)
                guard !page.isLast, let last = page.events.last?.seq else { break }
                after = last
            }
            XCTAssertEqual(seqs, Array(1...25), name)
            XCTAssertEqual(pages, 3, name)
            let exact = try backend.historyPage(sessionID: 1, afterSeq: 15, limit: 10, staffCandidate: nil) { _ in true }
            XCTAssertTrue(exact.isLast, name)
            let refused = try backend.historyPage(sessionID: 1, afterSeq: 0, limit: 10, staffCandidate: nil) { _ in false }
            XCTAssertEqual(refused.events, [], name)
            XCTAssertNotNil(refused.session, name)
            XCTAssertNil(try backend.historyPage(sessionID: 99, afterSeq: 0, limit: 10, staffCandidate: nil) { _ in true }.session, name)

            let request = try XCTUnwrap(try backend.chatRequest(ChatRequestKey(organizationID: "acme", contactID: "c1", clientID: "req-1")))
            XCTAssertEqual(request.session.record.id, 1, name)
            XCTAssertEqual(request.firstEvent?.seq, 1, name)
            XCTAssertNil(try backend.chatRequest(ChatRequestKey(organizationID: "acme", contactID: "c2", clientID: "req-1")), name)
            let key = ClientMessageKey(author: AuthorKey(role: .customer, id: "c1"), clientID: "m17")
            XCTAssertEqual(try backend.event(sessionID: 1, key: key)?.seq, 17, name)
            XCTAssertNil(try backend.event(sessionID: 1, key: ClientMessageKey(author: AuthorKey(role: .agent, id: "c1"), clientID: "m17")), name)
        }
    }

    func testARequestKeyIsUniqueAcrossChats() throws {
        try forEachBackend { backend, name in
            write([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1))], to: backend)
            var second = Fixture.session(2)
            second.requestClientID = "req-1"
            let log = write([.createSession(second), .appendEvent(Fixture.message(2, seq: 1))], to: backend)
            XCTAssertEqual(log.failures.map(\.write), [.createSession(second), .appendEvent(Fixture.message(2, seq: 1))], name)
            XCTAssertEqual(log.failures.last?.message, "session 2 was never stored", name)
        }
    }
}
