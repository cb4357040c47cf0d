import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// A database file in its own temporary directory, removed by `tearDown`.
class StorageTestCase: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("chatstorage-tests-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    var databasePath: String { directory.appendingPathComponent("db/chat.sqlite").path }

    /// A small `eventIndexBatch` by default: most tests then read events from both the index and the tail.
    func makeStore(durability: Durability = .normal, eventIndexBatch: Int = 3) throws -> ChatStore {
        try ChatStore(path: databasePath, durability: durability, eventIndexBatch: eventIndexBatch)
    }

    /// Commits `writes` through a writer that is stopped before returning; fails the test on any failure.
    func commit(_ writes: [StorageWrite], to store: ChatStore, file: StaticString = #filePath, line: UInt = #line) {
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: max(writes.count, 1))
        XCTAssertTrue(writer.submit(writes), file: file, line: line)
        writer.stop()
        XCTAssertEqual(log.failures.map(\.message), [], file: file, line: line)
    }
}

/// Collects what a writer reports, from its thread. Locked; read after `stop()`.
final class WriterLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _receipts: [CommitReceipt] = []
    private var _failures: [StorageFailure] = []
    private var _states: [String?] = []

    var receipts: [CommitReceipt] { lock.withLock { _receipts } }
    var failures: [StorageFailure] { lock.withLock { _failures } }
    /// What `onStorageState` reported, in order (an error message when failing started, nil when it recovered).
    var states: [String?] { lock.withLock { _states } }

    func commit(_ receipt: CommitReceipt) { lock.withLock { _receipts.append(receipt) } }
    func fail(_ failure: StorageFailure) { lock.withLock { _failures.append(failure) } }
    func state(_ state: String?) { lock.withLock { _states.append(state) } }

    func makeWriter(store: ChatStore, capacity: Int, lingerSeconds: Double = 0) -> GroupCommitWriter {
        GroupCommitWriter(store: store, capacity: capacity, lingerSeconds: lingerSeconds,
                          onCommit: { receipt in self.lock.withLock { self._receipts.append(receipt) } },
                          onFailure: { failure in self.lock.withLock { self._failures.append(failure) } },
                          onStorageState: { state in self.lock.withLock { self._states.append(state) } })
    }

    /// The highest seq per session over every receipt.
    var highestCommittedSeqs: [SessionID: Seq] {
        var seqs: [SessionID: Seq] = [:]
        for receipt in receipts {
            seqs.merge(receipt.committedSeqs) { max($0, $1) }
        }
        return seqs
    }
}

/// Builders of domain values with exactly representable times (so that round trips compare equal).
enum Fixture {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func at(_ offset: Double) -> Date { t0.addingTimeInterval(offset) }

    static func customer(org: OrganizationID = "acme", contact: ContactID = "c1") -> CustomerIdentity {
        CustomerIdentity(organizationID: org, contactID: contact, name: "Ann \(contact)", email: "\(contact)@example.com")
    }

    static func session(_ id: SessionID, org: OrganizationID = "acme", contact: ContactID = "c1",
                        state: SessionState = .queued, agent: StaffRef? = nil, createdAt: Double = 0,
                        closedAt: Double? = nil) -> ChatSessionRecord {
        ChatSessionRecord(id: id, organizationID: org, customer: customer(org: org, contact: contact),
                          productID: "pressero", subject: "Subject \(id)", state: state, agent: agent,
                          createdAt: at(createdAt), queuedAt: state == .queued ? at(createdAt) : nil,
                          closedAt: closedAt.map(at), requestClientID: "req-\(id)")
    }

    static func message(_ sessionID: SessionID, seq: Seq, clientID: String? = nil, text: String? = nil,
                        role: Participant.Role = .customer) -> SessionEvent {
        SessionEvent(sessionID: sessionID, seq: seq, at: at(Double(seq) * 0.25), kind: .message,
                     author: Participant(role: role, id: role == .customer ? "c1" : "7", name: "Someone"),
                     text: text ?? "message \(seq)", clientMessageID: clientID)
    }

    static func joined(_ sessionID: SessionID, seq: Seq, agent: StaffRef) -> SessionEvent {
        SessionEvent(sessionID: sessionID, seq: seq, at: at(Double(seq) * 0.25), kind: .joined, author: .system,
                     text: "\(agent.name) joined", agent: agent)
    }

    static func transferred(_ sessionID: SessionID, seq: Seq, from: StaffRef, to: StaffRef) -> SessionEvent {
        SessionEvent(sessionID: sessionID, seq: seq, at: at(Double(seq) * 0.25), kind: .transferred,
                     author: Participant(role: .agent, id: String(from.id), name: from.name),
                     text: "Transferred to \(to.name)", agent: to)
    }
}
