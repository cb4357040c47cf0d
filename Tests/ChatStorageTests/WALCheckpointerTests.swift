import ChatCore
import Foundation
import GRDB
import XCTest
@testable import ChatStorage

/// The WAL is checkpointed off the writer's commits (`WALCheckpointer`): it must still be checkpointed, start over
/// and stay bounded while a writer never pauses, lose nothing, and wait for a reader holding an old snapshot.
final class WALCheckpointerTests: StorageTestCase {
    private var walPath: String { databasePath + "-wal" }

    private func walBytes() -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: walPath))?[.size] as? Int) ?? 0
    }

    /// Waits (up to 20 s on a loaded machine) until `condition` holds.
    private func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<1_000 {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    /// Checkpoints the migrations' WAL and starts it over, so a test knows what the WAL holds.
    private func emptyTheWAL(_ store: ChatStore) throws {
        try store.dbPool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    func testAWriterThatNeverPausesKeepsTheWALBoundedAndLosesNothing() throws {
        let pages = 100
        let store = try ChatStore(path: databasePath, durability: .normal, walCheckpointPages: pages, eventIndexBatch: 64)
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 100_000)
        writer.start()
        XCTAssertTrue(writer.submit((1...20).map { .createSession(Fixture.session(SessionID($0), contact: "c\($0)")) }))
        var largestWAL = 0
        let text = String(repeating: "checkpoint ", count: 30)
        for round in 1...150 {
            // 20 chats, one message each per round: a continuous stream of small commits.
            let writes: [StorageWrite] = (1...20).map { session in
                .appendEvent(SessionEvent(sessionID: SessionID(session), seq: Seq(round), at: Fixture.at(Double(round)),
                                          kind: .message, author: Participant(role: .customer, id: "c\(session)", name: "C"),
                                          text: text, clientMessageID: "m\(session).\(round)"))
            }
            XCTAssertTrue(writer.submit(writes))
            // One round queued behind the one being committed: the writer never waits, and the WAL is measured as
            // the commits grow it (not only while the rounds are being queued).
            XCTAssertTrue(eventually { (log.highestCommittedSeqs[1] ?? 0) >= Seq(round - 1) }, "round \(round - 1)")
            largestWAL = max(largestWAL, walBytes())
        }
        writer.stop()
        XCTAssertEqual(log.failures.map(\.message), [])
        XCTAssertTrue(eventually { store.checkpointer.completed >= 1 }, "checkpoints completed: \(store.checkpointer.completed)")
        // The WAL starts over after each checkpoint (and journal_size_limit, twice the threshold, cuts the file
        // back). Without the WAL starting over again and again during the stream it would hold all 3,000 messages
        // (3.8 MB here).
        let bound = 2 * pages * 4_120 + 512 * 1024
        XCTAssertLessThan(largestWAL, bound, "largest WAL \(largestWAL) bytes")
        for session in 1...20 {
            XCTAssertEqual(try store.events(sessionID: SessionID(session)).map(\.seq), Array(1...150), "session \(session)")
        }
    }

    func testAReaderHoldingAnOldSnapshotHoldsTheCheckpointBackUntilItEnds() throws {
        let store = try ChatStore(path: databasePath, durability: .normal, walCheckpointPages: 100, eventIndexBatch: 64)
        commit([.createSession(Fixture.session(1))], to: store)
        let reading = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let reader = Thread {
            try? store.dbPool.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events")   // takes the snapshot
                reading.signal()
                release.wait()
            }
        }
        reader.start()
        reading.wait()
        store.checkpointer.waitUntilIdle()   // a checkpoint of the migrations' pages may still be under way
        let before = store.checkpointer.completed
        let text = String(repeating: "held ", count: 60)
        commit((1...2_000).map { seq in
            .appendEvent(SessionEvent(sessionID: 1, seq: Seq(seq), at: Fixture.at(Double(seq)), kind: .message,
                                      author: Participant(role: .customer, id: "c1", name: "C"), text: text,
                                      clientMessageID: "m\(seq)"))
        }, to: store)
        usleep(200_000)
        XCTAssertEqual(store.checkpointer.completed, before, "the reader's snapshot is still needed")
        release.signal()
        // The next commits find the WAL long enough again; the checkpoint now reaches its end.
        XCTAssertTrue(eventually {
            commit([.readMarker(sessionID: 1, role: .customer, seq: 1)], to: store)
            return store.checkpointer.completed > before
        })
        XCTAssertEqual(try store.events(sessionID: 1).count, 2_000)
    }

    /// The finishing step holds the writer, so it must copy only what was committed during the last copy pass: the
    /// passes go on while the writer keeps committing much. Writes made during each pass (by the test's hook) stand
    /// in for a busy writer. The first version made one pass and left everything committed during it (here 300
    /// pages) to the finishing step.
    func testCopyPassesRepeatWhileTheWriterCommitsSoTheFinishingStepCopiesLittle() throws {
        let (finish, rows) = try checkpoint(committingAfterEachPass: [300, 120, 2, 1])
        XCTAssertEqual(finish.passes, 3, "passes: the WAL, then the 300 pages, then the 120")
        XCTAssertLessThanOrEqual(finish.copiedFrames, WALCheckpointer.finishFramesAtMost,
                                 "the finishing step copied \(finish.copiedFrames) frames")
        XCTAssertEqual(rows, 250 + 300 + 120 + 2)
    }

    /// A store checkpointed at 200 pages whose WAL starts empty; 250 pages written trigger a checkpoint, and after
    /// copy pass k the test's hook commits `pages[k]` more (standing in for a busy writer). Returns the finishing
    /// step's figures once the checkpoint completed, and the rows then stored.
    private func checkpoint(committingAfterEachPass pages: [Int])
        throws -> (finish: (copiedFrames: Int32, passes: Int), rows: Int?) {
        let store = try ChatStore(path: databasePath, durability: .normal, walCheckpointPages: 200, eventIndexBatch: 64)
        try store.dbPool.write { db in try db.execute(sql: "CREATE TABLE scratch(body BLOB)") }
        store.checkpointer.waitUntilIdle()
        try emptyTheWAL(store)
        let insert = { @Sendable (db: Database, count: Int) throws in
            for _ in 0..<count { try db.execute(sql: "INSERT INTO scratch VALUES (zeroblob(4000))") }
        }
        store.checkpointer.setAfterCopyPass { pass in
            try? store.dbPool.write { db in try insert(db, pass < pages.count ? pages[pass] : 0) }
        }
        let before = store.checkpointer.completed
        try store.dbPool.write { db in try insert(db, 250) }
        XCTAssertTrue(eventually { store.checkpointer.completed > before }, "no checkpoint completed")
        let rows = try store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scratch") }
        return (store.checkpointer.lastFinishStep, rows)
    }
}
