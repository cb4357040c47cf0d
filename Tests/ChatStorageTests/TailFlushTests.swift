import ChatCore
import Foundation
import GRDB
import XCTest
@testable import ChatStorage

/// The event log's tail is flushed in pieces, one per commit (`ChatStore.indexRange`): while a flush is half
/// written, every read must still see each event exactly once and count each message once (the history, the
/// transcript listing's last seq and message count, the writer's own aggregates), also when another connection
/// indexes the whole tail in the middle of a flush and the writer then finishes its pieces.
final class TailFlushTests: StorageTestCase {
    private func submitAndWait(_ writer: GroupCommitWriter, _ log: WriterLog, _ writes: [StorageWrite],
                               file: StaticString = #filePath, line: UInt = #line) {
        let before = log.receipts.count
        XCTAssertTrue(writer.submit(writes), file: file, line: line)
        var waited = 0
        while log.receipts.count == before && log.failures.isEmpty && waited < 1_000 {
            usleep(2_000)
            waited += 1
        }
        XCTAssertEqual(log.failures.map(\.message), [], file: file, line: line)
    }

    /// A started writer on `store` with chats 1...`sessions` created and committed.
    private func startWriter(on store: ChatStore, sessions count: Int) -> (GroupCommitWriter, WriterLog, [SessionID]) {
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 1_000)
        writer.start()
        let sessions = (1...count).map { SessionID($0) }
        submitAndWait(writer, log, sessions.map { .createSession(Fixture.session($0, contact: "c\($0)")) })
        return (writer, log, sessions)
    }

    private func checkReads(_ store: ChatStore, _ seqs: [SessionID: Seq], step: Int,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let listed = Dictionary(uniqueKeysWithValues: try store.sessions(matching: TranscriptFilter(limit: 100))
            .map { ($0.record.id, $0) })
        for (session, last) in seqs {
            XCTAssertEqual(try store.events(sessionID: session).map(\.seq), Array(1...last),
                           "step \(step), session \(session): history", file: file, line: line)
            XCTAssertEqual(listed[session]?.lastSeq, last, "step \(step), session \(session): listed last seq",
                           file: file, line: line)
            XCTAssertEqual(listed[session]?.messageCount, Int(last), "step \(step), session \(session): listed count",
                           file: file, line: line)
            let aggregates = try store.dbPool.read { db in try EventReads.aggregates(db, sessionID: session) }
            XCTAssertEqual(aggregates.lastSeq, last, "step \(step), session \(session): aggregates", file: file, line: line)
            XCTAssertEqual(aggregates.messageCount, Int(last), "step \(step), session \(session): aggregates count",
                           file: file, line: line)
        }
    }

    func testEveryReadCountsEachEventOnceWhileAFlushIsWrittenInPieces() throws {
        let store = try makeStore(eventIndexBatch: 16)
        let (writer, log, sessions) = startWriter(on: store, sessions: 12)
        var seqs: [SessionID: Seq] = [:]
        var random = SplitMix(seed: 7)
        var sawAFlushInProgress = false
        for step in 1...240 {
            let session = sessions[Int(random.next() % UInt64(sessions.count))]
            let seq = (seqs[session] ?? 0) + 1
            seqs[session] = seq
            // One write per commit, so each commit after a flush starts writes one piece of it.
            submitAndWait(writer, log, [.appendEvent(Fixture.message(session, seq: seq))])
            if step == 120 {
                _ = try store.indexAllEvents()   // another connection indexes everything in the middle of a flush
            }
            let indexed = try store.dbPool.read { db in try EventReads.indexedThrough(db) }
            let entries = try store.dbPool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event_index WHERE event_id > ?", arguments: [indexed]) ?? 0
            }
            if entries > 0 { sawAFlushInProgress = true }   // pieces written, boundary not moved yet
            try checkReads(store, seqs, step: step)
        }
        writer.stop()
        XCTAssertTrue(sawAFlushInProgress, "no read happened during a flush in pieces")
        XCTAssertEqual(try store.unindexedEventCount(), 0)
        try checkReads(store, seqs, step: 0)
        // A writer that stopped after its pieces but before moving the boundary (a crash): the boundary is behind
        // events whose entries and counts are written. Reads count them once; indexing again (what a restart does)
        // writes pieces twice without counting twice.
        try store.dbPool.write { db in
            try db.execute(sql: "UPDATE event_index_state SET indexed_through = indexed_through - 40 WHERE id = 1")
            let through = try EventReads.indexedThrough(db) + 40
            try ChatStore.indexRange(db, from: through - 40, through: through, piece: (3, ChatStore.flushPieces))
        }
        try checkReads(store, seqs, step: -1)
        _ = try store.recoverState(tailSize: 10)
        try checkReads(store, seqs, step: -2)
        XCTAssertEqual(try store.unindexedEventCount(), 0)
    }

    /// A writer that commits steadily, idle for a moment between commits, never indexes the whole tail in one
    /// transaction: the tail that waited `eventIndexDelaySeconds` is flushed in pieces, with the commits and in the
    /// idle moments, and the delay then counts again from that flush. (Before, the delay was set once and never
    /// moved under load, so the writer's first idle moment after it indexed the whole tail at once: a stall every
    /// 2 s in the benchmark.) Everything is indexed soon after the load stops, and every read stays right.
    func testASteadyWriterFlushesTheWaitingTailInPiecesNeverWhole() throws {
        let store = try ChatStore(path: databasePath, durability: .normal, eventIndexBatch: 100_000,
                                  eventIndexDelaySeconds: 0.02)
        let (writer, log, sessions) = startWriter(on: store, sessions: 8)
        var seqs: [SessionID: Seq] = [:]
        var random = SplitMix(seed: 11)
        for _ in 1...200 {
            let session = sessions[Int(random.next() % UInt64(sessions.count))]
            let seq = (seqs[session] ?? 0) + 1
            seqs[session] = seq
            submitAndWait(writer, log, [.appendEvent(Fixture.message(session, seq: seq))])
            usleep(1_000)   // idle between commits, as under steady traffic
        }
        var waited = 0
        while try store.unindexedEventCount() > 0 && waited < 400 {
            usleep(5_000)
            waited += 1
        }
        XCTAssertEqual(try store.unindexedEventCount(), 0, "the tail was not indexed after the load stopped")
        writer.stop()
        XCTAssertGreaterThan(writer.completedFlushes, 1, "the waiting tail was never flushed in pieces")
        XCTAssertEqual(writer.wholeTailIndexings, 0, "the whole tail was indexed in one transaction")
        try checkReads(store, seqs, step: 0)
    }
}
