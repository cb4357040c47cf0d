import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// The chat writer on every backend: group commit and its receipts, a write's own failure reported alone while
/// the rest of its batch commits, the per-author client-id and next-seq rules, and every `StorageWrite` case.
final class WriterContractTests: StorageContractCase {
    func testGroupCommitReportsTheHighestSeqPerSession() throws {
        try forEachBackend { backend, name in
            var writes: [StorageWrite] = [.createSession(Fixture.session(1)), .createSession(Fixture.session(2))]
            for seq: Seq in 1...5 { writes.append(.appendEvent(Fixture.message(1, seq: seq, clientID: "a\(seq)"))) }
            for seq: Seq in 1...3 { writes.append(.appendEvent(Fixture.message(2, seq: seq))) }
            let log = write(writes, to: backend)
            XCTAssertEqual(log.failures.map(\.message), [], name)
            XCTAssertEqual(log.highestCommittedSeqs, [1: 5, 2: 3], name)
            XCTAssertEqual(log.receipts.map(\.batchSize).reduce(0, +), writes.count, name)
            XCTAssertEqual(try backend.events(sessionID: 1, afterSeq: 0, limit: nil).map(\.seq), [1, 2, 3, 4, 5], name)
            XCTAssertEqual(try backend.events(sessionID: 1, afterSeq: 0, limit: nil), (Seq(1)...5).map {
                Fixture.message(1, seq: $0, clientID: "a\($0)") }, name)
            XCTAssertEqual(try backend.storedSession(id: 1, staffCandidate: nil)?.lastSeq, 5, name)
            XCTAssertEqual(try backend.events(sessionID: 2, afterSeq: 1, limit: 1).map(\.seq), [2], name)
        }
    }

    func testADuplicateSeqFailsAloneWhileTheRestOfTheBatchCommits() throws {
        try forEachBackend { backend, name in
            write([.createSession(Fixture.session(1)), .createSession(Fixture.session(2)),
                   .appendEvent(Fixture.message(1, seq: 1))], to: backend)
            let duplicate = StorageWrite.appendEvent(Fixture.message(1, seq: 1, text: "again"))
            let log = write([.appendEvent(Fixture.message(2, seq: 1)), duplicate,
                             .appendEvent(Fixture.message(2, seq: 2)), .readMarker(sessionID: 2, role: .agent, seq: 2)],
                            to: backend)
            XCTAssertEqual(log.failures.map(\.write), [duplicate], name)
            XCTAssertTrue(log.failures.first?.message.contains("seq_out_of_order") == true, name)
            XCTAssertEqual(log.highestCommittedSeqs, [2: 2], name)
            XCTAssertEqual(try backend.events(sessionID: 1, afterSeq: 0, limit: nil).map(\.text), ["message 1"], name)
            XCTAssertEqual(try backend.events(sessionID: 2, afterSeq: 0, limit: nil).map(\.seq), [1, 2], name)
            XCTAssertEqual(try backend.readMarkers(sessionID: 2), [.agent: 2], name)
        }
    }

    func testAGapIsRefusedAndLaterEventsOfThatSessionAreHeldBack() throws {
        try forEachBackend { backend, name in
            write([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1))], to: backend)
            let gap = StorageWrite.appendEvent(Fixture.message(1, seq: 3))
            let after = StorageWrite.appendEvent(Fixture.message(1, seq: 4))
            let log = write([gap, after], to: backend)
            XCTAssertEqual(log.failures.map(\.write), [gap, after], name)
            XCTAssertEqual(try backend.storedSession(id: 1, staffCandidate: nil)?.lastSeq, 1, name)
            // The engine numbers the failed seq again: accepted.
            let retry = write([.appendEvent(Fixture.message(1, seq: 2))], to: backend)
            XCTAssertEqual(retry.failures.count, 0, name)
        }
    }

    func testEveryWriteKindIsApplied() throws {
        try forEachBackend { backend, name in
            try backend.createOrganization(id: "acme", name: "Acme", planID: "hv", regionID: nil, createdAt: Fixture.at(0))
            let agent = try backend.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "h",
                                                createdAt: Fixture.at(0))
            let ref = StaffRef(id: agent.id, name: "Ann")
            var record = Fixture.session(1, state: .queued)
            let file = AttachmentInfo(name: "a.png", size: 42, type: "image/png", sha256: String(repeating: "ab", count: 32))
            let proposal = ServicesProposal(description: "Setup", rateID: "std", hourlyRate: 120, currency: "USD",
                                            estimateHours: 2, proposedBy: ref)
            var writes: [StorageWrite] = [.createSession(record), .appendEvent(Fixture.message(1, seq: 1)),
                                          .registerContact("acme", "c1"), .registerContact("acme", "c1"),
                                          .appendEvent(Fixture.joined(1, seq: 2, agent: ref))]
            record.state = .active
            record.agent = ref
            record.queuedAt = nil
            record.pendingProposal = proposal
            writes += [.updateSession(record),
                       .appendEvent(SessionEvent(sessionID: 1, seq: 3, at: Fixture.at(3), kind: .attachment,
                                                 author: Participant(role: .customer, id: "c1", name: "Ann"),
                                                 attachment: file)),
                       .readMarker(sessionID: 1, role: .customer, seq: 3), .readMarker(sessionID: 1, role: .customer, seq: 2),
                       .recordServiceOrder(ServiceOrder(sessionID: 1, organizationID: "acme", contactID: "c1",
                                                        proposal: proposal, acceptedAt: Fixture.at(4))),
                       .staffStatus(agent.id, .away), .staffStatus(9_999, .available),
                       .createSession(Fixture.session(2)), .abandonSession(2), .abandonSession(1)]
            let log = write(writes, to: backend)
            XCTAssertEqual(log.failures.map(\.message), [], name)
            XCTAssertEqual(try backend.session(id: 1), record, name)
            XCTAssertNil(try backend.session(id: 2), name)
            XCTAssertEqual(try backend.organization(id: "acme")?.authorizedContacts, ["c1"], name)
            XCTAssertEqual(try backend.readMarkers(sessionID: 1), [.customer: 3], name)
            XCTAssertEqual(try backend.events(sessionID: 1, afterSeq: 2, limit: nil).first?.attachment, file, name)
            XCTAssertEqual(try backend.attachment(sessionID: 1, seq: 3)?.size, 42, name)
            XCTAssertEqual(try backend.attachmentUses(sha256: file.sha256), 1, name)
            let orders = try backend.serviceOrders(sessionID: 1)
            XCTAssertEqual(orders.map(\.rateID), ["std"], name)
            XCTAssertEqual(orders.first?.proposedBy, agent.id, name)
            XCTAssertEqual(try backend.storedSession(id: 1, staffCandidate: agent.id)?.handledBy, [agent.id], name)
            XCTAssertEqual(try backend.storedSession(id: 1, staffCandidate: 77)?.handledBy, [], name)
            let recovered = try backend.recoverState(tailSize: 10)
            XCTAssertEqual(recovered.staff, [RecoveredStaff(identity: agent, status: .away)], name)
        }
    }

    func testAnUpdateOfAMissingSessionFailsAlone() throws {
        try forEachBackend { backend, name in
            let missing = StorageWrite.updateSession(Fixture.session(5))
            let log = write([.createSession(Fixture.session(1)), missing, .appendEvent(Fixture.message(1, seq: 1))],
                            to: backend)
            XCTAssertEqual(log.failures.map(\.write), [missing], name)
            XCTAssertTrue(log.failures.first?.message.contains("not_found") == true, name)
            XCTAssertEqual(log.highestCommittedSeqs, [1: 1], name)
        }
    }

    func testLingeringWriterCommitsManySubmissionsInFewTransactions() throws {
        try forEachBackend { backend, name in
            let log = WriterLog()
            let writer = backend.makeWriter(capacity: 10_000, lingerSeconds: 0.005, onCommit: { log.commit($0) },
                                            onFailure: { log.fail($0) }, onStorageState: { _ in })
            XCTAssertTrue(writer.submit((1...20).map { .createSession(Fixture.session($0)) }), name)
            writer.start()
            for seq in 1...50 {
                XCTAssertTrue(writer.submit((1...20).map { .appendEvent(Fixture.message($0, seq: Seq(seq))) }), name)
            }
            writer.stop()
            XCTAssertEqual(log.failures.count, 0, name)
            XCTAssertEqual(log.highestCommittedSeqs, Dictionary(uniqueKeysWithValues: (1...20).map { (SessionID($0), Seq(50)) }), name)
            XCTAssertLessThan(log.receipts.count, 1_020, name)
            XCTAssertFalse(writer.submit([.appendEvent(Fixture.message(1, seq: 51))]), "\(name): stopped")
        }
    }
}
