import ChatCore
import Foundation
import GRDB
import XCTest
@testable import ChatStorage

/// Fault injection in the group-commit writer: a failed write is never reported committed, seqs stay gapless,
/// and storage that fails for reasons outside the writes is retried until it recovers.
final class WriterFailureTests: StorageTestCase {
    /// Fails every transaction while `failing` is set (a full disk, say), whatever the write.
    final class Switch: @unchecked Sendable {
        private let lock = NSLock()
        private var _failing = true
        private var _attempts = 0
        var failing: Bool {
            get { lock.withLock { _failing } }
            set { lock.withLock { _failing = newValue } }
        }
        var attempts: Int { lock.withLock { _attempts } }
        func check() throws {
            try lock.withLock {
                _attempts += 1
                if _failing { throw InjectedStorageError(description: "database or disk is full") }
            }
        }
    }

    /// A started writer whose every transaction fails (until `disk.failing` is cleared).
    private func startWriterOnAFullDisk() throws -> (ChatStore, WriterLog, GroupCommitWriter, Switch) {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 100)
        let disk = Switch()
        writer.injectedFailure = { _ in try disk.check() }
        writer.start()
        return (store, log, writer, disk)
    }

    func testATransientFailureIsRetriedUntilStorageRecoversAndNothingIsReportedBefore() throws {
        let (store, log, writer, disk) = try startWriterOnAFullDisk()
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1, clientID: "a"))]))
        let deadline = Date().addingTimeInterval(10)
        while disk.attempts < 3 && Date() < deadline { usleep(10_000) }
        XCTAssertNotNil(writer.failure, "the writer says storage is failing")
        XCTAssertEqual(log.receipts, [], "nothing is reported committed while it fails")
        XCTAssertEqual(log.failures.count, 0, "and nothing is given up: the batch waits for the disk")
        XCTAssertTrue(writer.submit([.appendEvent(Fixture.message(1, seq: 2, clientID: "b"))]), "later writes queue behind it")
        disk.failing = false
        writer.stop()
        XCTAssertNil(writer.failure)
        XCTAssertEqual(log.states.count, 2)
        XCTAssertNotNil(log.states.first ?? nil)
        XCTAssertNil(log.states.last ?? "not recovered")
        XCTAssertEqual(log.highestCommittedSeqs, [1: 2])
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1, 2])
    }

    func testAWriteThatFailsOnItsOwnTakesNoLaterWriteOfItsSessionWithIt() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 100)
        writer.injectedFailure = { write in
            if case .appendEvent(let event) = write, event.sessionID == 1, event.seq == 2 {
                throw InjectedStorageError(writeSpecific: true, description: "constraint")
            }
        }
        writer.submit([.createSession(Fixture.session(1)), .createSession(Fixture.session(2, contact: "c2"))])
        writer.submit((1...4).map { .appendEvent(Fixture.message(1, seq: $0)) }
                      + (1...3).map { .appendEvent(Fixture.message(2, seq: $0)) })
        writer.stop()
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1], "no event after the hole")
        XCTAssertEqual(try store.events(sessionID: 2).map(\.seq), [1, 2, 3], "other sessions are not held back")
        XCTAssertEqual(log.highestCommittedSeqs, [1: 1, 2: 3], "receipts never claim a seq past the hole")
        let failed = log.failures.compactMap { if case .appendEvent(let e) = $0.write { return e.seq } else { return nil } }
        XCTAssertEqual(failed, [2, 3, 4])
    }

    func testAWriterStoppedWhileStorageFailsReportsTheBatchFailedNotCommitted() throws {
        let (store, log, writer, disk) = try startWriterOnAFullDisk()
        writer.submit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1))])
        writer.stop()
        XCTAssertEqual(log.receipts, [])
        XCTAssertEqual(log.failures.count, 2)
        XCTAssertEqual(try store.events(sessionID: 1), [])
    }
}
