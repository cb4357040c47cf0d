import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Prints the chat writer's throughput on each store (a benchmark: it asserts nothing about speed). Runs only
/// with `CHATD_WRITER_BENCH=1`: `Scripts/bench --storage` runs it (release build, PostgreSQL on loopback).
///
/// - "batches of 50": 50 messages over 10 chats submitted, then wait for their receipt; repeat (one transaction of
///   exactly 50 events each time: commit latency bound).
/// - "pipelined": 20,000 messages submitted 50 at a time without waiting, writer lingering 2 ms (drains grow).
final class WriterThroughputBenchmark: StorageContractCase {
    func testWriterThroughput() throws {
        guard ProcessInfo.processInfo.environment["CHATD_WRITER_BENCH"] == "1" else {
            throw XCTSkip("set CHATD_WRITER_BENCH=1 to run")
        }
        try forEachBackend { backend, name in
            if let store = backend as? PostgresStore {
                let c = try PGConnection(url: store.url)
                let fsync = try c.execute("SHOW fsync").string(0, 0) ?? "?"
                let synchronous = try c.execute("SHOW synchronous_commit").string(0, 0) ?? "?"
                print("postgres: fsync=\(fsync) synchronous_commit=\(synchronous)")
            }
            let sessions: [SessionID] = Array(1...10)
            write(sessions.map { .createSession(Fixture.session($0)) }, to: backend)
            var next = [SessionID: Seq]()
            func messages(_ count: Int) -> [StorageWrite] {
                (0..<count).map { index in
                    let session = sessions[index % sessions.count]
                    let seq = (next[session] ?? 0) + 1
                    next[session] = seq
                    return .appendEvent(Fixture.message(session, seq: seq, clientID: "k\(seq)",
                                                        text: "a message of about sixty bytes, number \(seq)"))
                }
            }

            let log = WriterLog()
            let writer = backend.makeWriter(capacity: 100_000, lingerSeconds: 0, onCommit: { log.commit($0) },
                                            onFailure: { log.fail($0) }, onStorageState: { _ in })
            writer.start()
            let rounds = 200
            var start = Date()
            for round in 1...rounds {
                XCTAssertTrue(writer.submit(messages(50)))
                while log.receipts.count < round { usleep(50) }
            }
            let batched = Double(rounds * 50) / Date().timeIntervalSince(start)
            writer.stop()

            let piped = WriterLog()
            let pipelined = backend.makeWriter(capacity: 100_000, lingerSeconds: 0.002, onCommit: { piped.commit($0) },
                                               onFailure: { piped.fail($0) }, onStorageState: { _ in })
            pipelined.start()
            start = Date()
            for _ in 0..<400 { XCTAssertTrue(pipelined.submit(messages(50))) }
            pipelined.stop()
            let rate = 20_000 / Date().timeIntervalSince(start)
            XCTAssertEqual(log.failures.count + piped.failures.count, 0, name)
            print(String(format: "%@: batches of 50: %.0f events/s (%.2f ms per commit); pipelined: %.0f events/s in %d transactions",
                         name, batched, 50_000 / batched, rate, piped.receipts.count))
        }
    }
}
