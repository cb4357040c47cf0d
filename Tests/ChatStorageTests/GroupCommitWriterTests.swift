import ChatCore
import Dispatch
import GRDB
import XCTest
@testable import ChatStorage

final class GroupCommitWriterTests: StorageTestCase {
    func testEventsSubmittedFromSeveralThreadsAreStoredOnceInSeqOrder() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 100_000)
        writer.start()

        let threads = 4, sessionsPerThread = 3, eventsPerSession = 400
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let sessionIDs = (0..<sessionsPerThread).map { SessionID(thread * sessionsPerThread + $0 + 1) }
            for id in sessionIDs {
                XCTAssertTrue(writer.submit([.createSession(Fixture.session(id))]))
            }
            // Interleave this thread's sessions, in small groups, as the engine would.
            var seq: Seq = 1
            while seq <= Seq(eventsPerSession) {
                for id in sessionIDs {
                    let group = (seq..<seq + 8).map {
                        StorageWrite.appendEvent(Fixture.message(id, seq: $0, clientID: "m-\(id)-\($0)"))
                    }
                    XCTAssertTrue(writer.submit(group))
                }
                seq += 8
            }
        }
        writer.stop()

        XCTAssertTrue(log.failures.isEmpty, "\(log.failures.map(\.message))")
        let sessionCount = threads * sessionsPerThread
        let total = try store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") }
        XCTAssertEqual(total, sessionCount * eventsPerSession)
        for id in 1...SessionID(sessionCount) {
            let events = try store.events(sessionID: id)
            XCTAssertEqual(events.map(\.seq), Array(1...Seq(eventsPerSession)), "session \(id)")
            XCTAssertEqual(events.last, Fixture.message(id, seq: Seq(eventsPerSession),
                                                        clientID: "m-\(id)-\(eventsPerSession)"))
        }

        // Receipts: every write counted once, and each session's highest seq reported, never going backwards.
        let receipts = log.receipts
        XCTAssertEqual(receipts.reduce(0) { $0 + $1.batchSize }, sessionCount * (1 + eventsPerSession))
        XCTAssertEqual(log.highestCommittedSeqs,
                       Dictionary(uniqueKeysWithValues: (1...SessionID(sessionCount)).map { ($0, Seq(eventsPerSession)) }))
        var seen: [SessionID: Seq] = [:]
        for receipt in receipts {
            for (id, seq) in receipt.committedSeqs {
                XCTAssertGreaterThan(seq, seen[id] ?? 0, "receipts for session \(id) must move forward")
                seen[id] = seq
            }
        }
    }

    func testFiveThousandEventsSubmittedAtOnceAreCommittedInBatches() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 10_000)
        writer.start()
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1)), .createSession(Fixture.session(2))]))
        let events = (1...2_500).flatMap { seq in
            [StorageWrite.appendEvent(Fixture.message(1, seq: Seq(seq))),
             StorageWrite.appendEvent(Fixture.message(2, seq: Seq(seq)))]
        }
        XCTAssertTrue(writer.submit(events))
        writer.stop()

        XCTAssertTrue(log.failures.isEmpty)
        let receipts = log.receipts
        XCTAssertTrue(receipts.contains { $0.batchSize > 1 }, "group commit: \(receipts.map(\.batchSize))")
        XCTAssertLessThan(receipts.count, 5_002, "fewer transactions than writes")
        XCTAssertEqual(receipts.reduce(0) { $0 + $1.batchSize }, 5_002)
        XCTAssertEqual(receipts.last?.committedSeqs, [1: 2_500, 2: 2_500])
        XCTAssertEqual(try store.events(sessionID: 2, afterSeq: 2_498).map(\.seq), [2_499, 2_500])
    }

    func testALingeringWriterCommitsEverythingOnceAndStillFlushesOnStop() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 10_000, lingerSeconds: 0.002)
        writer.start()
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1))]))
        for chunk in stride(from: 1, through: 1_000, by: 10) {
            XCTAssertTrue(writer.submit((chunk..<chunk + 10).map { .appendEvent(Fixture.message(1, seq: Seq($0))) }))
        }
        writer.stop()
        XCTAssertTrue(log.failures.isEmpty)
        XCTAssertEqual(log.receipts.reduce(0) { $0 + $1.batchSize }, 1_001)
        XCTAssertEqual(log.highestCommittedSeqs, [1: 1_000])
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), (1...1_000).map { Seq($0) })
    }

    func testSubmitRefusesWritesBeyondCapacityWithoutEnqueuingAny() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 10)
        let event = { (seq: Seq) in StorageWrite.appendEvent(Fixture.message(1, seq: seq)) }

        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1))] + (1...5).map(event)))
        XCTAssertEqual(writer.queuedCount, 6)
        XCTAssertFalse(writer.submit((6...10).map(event)), "6 + 5 > 10")
        XCTAssertEqual(writer.queuedCount, 6, "a refused submit enqueues nothing")
        XCTAssertTrue(writer.submit((6...9).map(event)))
        XCTAssertEqual(writer.queuedCount, 10)
        XCTAssertFalse(writer.submit([event(10)]))
        XCTAssertTrue(writer.submit([]), "nothing to add always fits")

        writer.start()
        writer.stop()
        XCTAssertEqual(writer.queuedCount, 0)
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), Array(1...9))
        XCTAssertEqual(log.highestCommittedSeqs, [1: 9])
    }

    func testAFailingWriteIsReportedAndTheRestOfItsBatchIsCommitted() throws {
        let store = try makeStore()
        commit([.createSession(Fixture.session(1))] + (1...3).map {
            .appendEvent(Fixture.message(1, seq: $0, clientID: "m\($0)"))
        }, to: store)

        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 100)
        let duplicateSeq = StorageWrite.appendEvent(Fixture.message(1, seq: 2, clientID: "other", text: "dup"))
        let duplicateClientID = StorageWrite.appendEvent(Fixture.message(1, seq: 6, clientID: "m1"))
        let unknownSession = StorageWrite.updateSession(Fixture.session(42, state: .closed, closedAt: 5))
        // Submitted before start, so that they are sure to share one batch.
        XCTAssertTrue(writer.submit([
            .appendEvent(Fixture.message(1, seq: 4)), duplicateSeq, .appendEvent(Fixture.message(1, seq: 5)),
            duplicateClientID, unknownSession, .readMarker(sessionID: 1, role: .agent, seq: 5),
        ]))
        writer.start()
        writer.stop()

        // A session whose event failed commits none of its later events (never a seq after a hole); its other
        // writes and other sessions' writes still commit.
        let heldBack = StorageWrite.appendEvent(Fixture.message(1, seq: 5))
        XCTAssertEqual(log.failures.map(\.write), [duplicateSeq, heldBack, duplicateClientID, unknownSession])
        XCTAssertTrue(log.failures.allSatisfy { !$0.message.isEmpty })
        XCTAssertTrue(log.failures[3].message.contains("not_found"), log.failures[3].message)
        XCTAssertEqual(log.receipts.count, 1)
        XCTAssertEqual(log.receipts.first?.committedSeqs, [1: 4])
        XCTAssertEqual(log.receipts.first?.batchSize, 2)

        let events = try store.events(sessionID: 1)
        XCTAssertEqual(events.map(\.seq), [1, 2, 3, 4])
        XCTAssertEqual(events[1].text, "message 2", "the original seq 2 is kept")
        XCTAssertEqual(try store.readMarkers(sessionID: 1), [.agent: 5])
    }

    func testWritesAfterAFailedBatchGoBackToGroupCommit() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 100)
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1)), .createSession(Fixture.session(1))]))
        writer.start()
        writer.stop()
        XCTAssertEqual(log.failures.count, 1)

        let next = log.makeWriter(store: store, capacity: 100)
        XCTAssertTrue(next.submit((1...3).map { .appendEvent(Fixture.message(1, seq: $0)) }))
        next.start()
        next.stop()
        XCTAssertEqual(log.receipts.last, CommitReceipt(committedSeqs: [1: 3], batchSize: 3,
                                                        duration: log.receipts.last?.duration ?? 0))
    }

    func testStopFlushesEverythingSubmittedIsIdempotentAndThenRefuses() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 5_000)
        writer.start()
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1))]))
        for seq in 1...1_000 {
            XCTAssertTrue(writer.submit([.appendEvent(Fixture.message(1, seq: Seq(seq)))]))
        }
        writer.stop()
        XCTAssertEqual(try store.events(sessionID: 1).count, 1_000, "stop returns only after everything committed")
        XCTAssertEqual(log.highestCommittedSeqs, [1: 1_000])

        writer.stop()
        XCTAssertFalse(writer.submit([.appendEvent(Fixture.message(1, seq: 1_001))]))
        writer.start()
        XCTAssertFalse(writer.submit([.appendEvent(Fixture.message(1, seq: 1_001))]), "no restart after stop")
        XCTAssertEqual(try store.events(sessionID: 1).count, 1_000)
    }

    func testStopWithoutStartCommitsOnTheCallingThread() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 10)
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1))]))
        writer.stop()
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1])
        XCTAssertEqual(log.receipts.map(\.batchSize), [2])
    }

    func testConcurrentStopCallsAllWaitForTheFlush() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 3_000)
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1))] + (1...2_000).map {
            .appendEvent(Fixture.message(1, seq: Seq($0)))
        }))
        writer.start()
        let counts = LockedArray<Int>()
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            writer.stop()
            counts.append((try? store.events(sessionID: 1).count) ?? -1)
        }
        XCTAssertEqual(counts.values, [2_000, 2_000, 2_000])
    }

    func testSessionUpdatesContactsAndReadMarkers() throws {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        let agent = StaffRef(id: 7, name: "Ann")
        var record = Fixture.session(1)
        commit([.createSession(record), .registerContact("acme", "c1")], to: store)
        XCTAssertEqual(try store.session(id: 1), record)

        record.state = .active
        record.agent = agent
        record.queuedAt = nil
        commit([.updateSession(record), .readMarker(sessionID: 1, role: .customer, seq: 4),
                .readMarker(sessionID: 1, role: .agent, seq: 2), .registerContact("acme", "c1")], to: store)
        XCTAssertEqual(try store.session(id: 1), record)
        XCTAssertEqual(try store.organization(id: "acme")?.authorizedContacts, ["c1"])

        record.state = .closed
        record.closedAt = Fixture.at(90.5)
        var changedImmutable = record
        changedImmutable.subject = "changed"
        commit([.updateSession(changedImmutable), .readMarker(sessionID: 1, role: .customer, seq: 3),
                .readMarker(sessionID: 1, role: .agent, seq: 6)], to: store)
        XCTAssertEqual(try store.session(id: 1), record, "update touches only state, agent, queuedAt, closedAt")
        XCTAssertEqual(try store.readMarkers(sessionID: 1), [.customer: 4, .agent: 6], "markers never go back")
        XCTAssertEqual(try store.readMarkers(sessionID: 2), [:])
    }
}

/// An array appended to from several threads.
final class LockedArray<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element] = []
    func append(_ element: Element) { lock.withLock { storage.append(element) } }
    var values: [Element] { lock.withLock { storage } }
}
