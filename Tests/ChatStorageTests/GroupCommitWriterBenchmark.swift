import ChatCore
import Dispatch
import Foundation
import XCTest
@testable import ChatStorage

/// Prints the writer's throughput. Opt-in (it writes 200,000 rows), and it asserts only correctness, never speed:
/// `CHATSTORAGE_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter GroupCommitWriterBenchmark`
final class GroupCommitWriterBenchmark: StorageTestCase {
    func testThroughputOfSmallSubmitsFromOneThread() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["CHATSTORAGE_BENCH"] == "1",
                          "set CHATSTORAGE_BENCH=1 to run")
        for durability in [Durability.normal, .full] {
            try run(durability: durability)
            try FileManager.default.removeItem(at: directory)
        }
    }

    private func run(durability: Durability) throws {
        let store = try makeStore(durability: durability)
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 20_000)
        let sessions = 100, eventsPerSession = 2_000, chunk = 4
        writer.start()
        XCTAssertTrue(writer.submit((1...sessions).map { .createSession(Fixture.session(SessionID($0))) }))

        let start = DispatchTime.now().uptimeNanoseconds
        var refused = 0
        for base in stride(from: 1, through: eventsPerSession, by: chunk) {
            for session in 1...sessions {
                let writes = (base..<base + chunk).map {
                    StorageWrite.appendEvent(Fixture.message(SessionID(session), seq: Seq($0), clientID: "m\($0)"))
                }
                while !writer.submit(writes) {
                    refused += 1
                    sched_yield()
                }
            }
        }
        writer.stop()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        let rows = sessions * eventsPerSession
        XCTAssertTrue(log.failures.isEmpty)
        XCTAssertEqual(log.highestCommittedSeqs.count, sessions)
        let batches = log.receipts.map(\.batchSize)
        print(String(format: "GroupCommitWriter %@: %d rows in %.2f s = %.0f rows/s; %d transactions, mean batch %.0f, max %d; %d refused submits",
                     "\(durability)", rows, seconds, Double(rows) / seconds, batches.count,
                     Double(batches.reduce(0, +)) / Double(max(batches.count, 1)), batches.max() ?? 0, refused))
    }
}
