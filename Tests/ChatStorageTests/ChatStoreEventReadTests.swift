import ChatCore
import GRDB
import XCTest
@testable import ChatStorage

final class ChatStoreEventReadTests: StorageTestCase {
    func testEventsAfterASeqWithALimitInSeqOrder() throws {
        let store = try makeStore()
        // Two sessions interleaved in one batch: reads come back per session, by seq.
        commit([.createSession(Fixture.session(1)), .createSession(Fixture.session(2, contact: "c2"))]
               + [1, 2, 3, 4, 5].flatMap { seq -> [StorageWrite] in
                   [.appendEvent(Fixture.message(1, seq: seq))] + (seq < 3 ? [.appendEvent(Fixture.message(2, seq: seq))] : [])
               }, to: store)

        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1, 2, 3, 4, 5])
        XCTAssertEqual(try store.events(sessionID: 1, afterSeq: 2).map(\.seq), [3, 4, 5])
        XCTAssertEqual(try store.events(sessionID: 1, afterSeq: 1, limit: 2).map(\.seq), [2, 3])
        XCTAssertEqual(try store.events(sessionID: 1, afterSeq: 5), [])
        XCTAssertEqual(try store.events(sessionID: 9), [])
        XCTAssertNil(try store.session(id: 9))
    }

    /// The log has no unique (session, seq) key: the writer refuses an event that is not its session's next seq
    /// (a duplicate or a gap, in the same batch, a later batch, or after a restart of the writer), and commits the
    /// rest of the batch.
    func testAnEventThatIsNotItsSessionsNextSeqIsRefused() throws {
        let store = try makeStore()
        commit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1))], to: store)
        for attempt in [[1], [3], [2, 2], [2, 4]] as [[Seq]] {
            let log = WriterLog()
            let writer = log.makeWriter(store: store, capacity: 10)   // a new writer: it reads the last seq back
            let before = try store.events(sessionID: 1).count
            _ = writer.submit(attempt.map { .appendEvent(Fixture.message(1, seq: $0 + Seq(before) - 1)) })
            writer.stop()
            XCTAssertTrue(log.failures.allSatisfy { $0.message.hasPrefix("seq_out_of_order") },
                          "\(attempt): \(log.failures.map(\.message))")
            let seqs = try store.events(sessionID: 1).map(\.seq)
            XCTAssertEqual(seqs, Array(1...Seq(seqs.count)), "gapless after \(attempt)")
        }
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1, 2, 3], "[2, 2] and [2, 4] stored their first")
    }

    func testEveryEventFieldRoundTripsWithSubSecondTimes() throws {
        let store = try makeStore()
        let from = StaffRef(id: 7, name: "Ann")
        let to = StaffRef(id: 8, name: "Bob")
        let events = [
            SessionEvent(sessionID: 1, seq: 1, at: Fixture.at(0.125), kind: .requested,
                         author: Participant(role: .customer, id: "c1", name: "Cat"), text: "Help",
                         clientMessageID: "req-1"),
            Fixture.joined(1, seq: 2, agent: from),
            Fixture.transferred(1, seq: 3, from: from, to: to),
            SessionEvent(sessionID: 1, seq: 4, at: Fixture.at(1.0), kind: .requeued, author: .system,
                         reason: "agent_disconnected"),
            SessionEvent(sessionID: 1, seq: 5, at: Fixture.at(1.125), kind: .servicesProposed, author: Participant(role: .agent, id: "7", name: ""),
                         text: "", agent: from,
                         proposal: ServicesProposal(description: "Migrate ü \"x\"", rateID: "std", hourlyRate: 150.5,
                                                    currency: "USD", estimateHours: 2.25, proposedBy: from)),
            SessionEvent(sessionID: 1, seq: 6, at: Fixture.at(1.5), kind: .attachment,
                         author: Participant(role: .customer, id: "c1", name: "Cat 😀"), text: "a\tb\nc ✓",
                         clientMessageID: "up-1", attachment: AttachmentInfo(name: "log.txt", size: 12, type: "text/plain",
                                                                            sha256: String(repeating: "ab", count: 32))),
            SessionEvent(sessionID: 1, seq: 7, at: Fixture.at(1.625), kind: .converted, author: .system, text: "Ticket",
                         ticketNumber: 4_000_000_001),
            SessionEvent(sessionID: 1, seq: 8, at: Fixture.at(2.125), kind: .closed,
                         author: Participant(role: .supervisor, id: "9", name: "Sue"), reason: "supervisor"),
        ]
        commit([.createSession(Fixture.session(1))] + events.map { .appendEvent($0) }, to: store)
        let stored = try store.events(sessionID: 1)
        XCTAssertEqual(stored, events)
        XCTAssertTrue(zip(stored, stored.dropFirst()).allSatisfy { $0.at < $1.at })
    }
}

final class EventIndexFlushTests: StorageTestCase {
    /// A quiet writer indexes its few events on its own once they waited `eventIndexDelaySeconds`, and the
    /// aggregates the listing reads move with them.
    func testAQuietWriterIndexesItsTailAfterTheDelay() throws {
        let store = try ChatStore(path: databasePath, durability: .normal, eventIndexBatch: 1_000,
                                  eventIndexDelaySeconds: 0.05)
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 10)
        writer.start()
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1))]
                                    + (1...3).map { .appendEvent(Fixture.message(1, seq: $0)) }))
        var waited = 0
        // Committed, then indexed without another write arriving (up to 10 s on a loaded machine).
        while try (store.events(sessionID: 1).count < 3 || store.unindexedEventCount() > 0) && waited < 500 {
            usleep(20_000)
            waited += 1
        }
        XCTAssertEqual(try store.unindexedEventCount(), 0, "before the writer stops")
        writer.stop()
        let row = try store.dbPool.read { db in
            try Row.fetchOne(db, sql: "SELECT last_seq, message_count FROM sessions WHERE id = 1")
        }
        XCTAssertEqual(row?["last_seq"] as Int?, 3)
        XCTAssertEqual(row?["message_count"] as Int?, 3)
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1, 2, 3])
    }
}

extension EventIndexFlushTests {
    /// A writer that stops leaves nothing unindexed.
    func testAStoppedWriterLeavesEveryEventIndexed() throws {
        let store = try ChatStore(path: databasePath, durability: .normal, eventIndexBatch: 1_000,
                                  eventIndexDelaySeconds: 3_600)
        commit([.createSession(Fixture.session(1))] + (1...4).map { .appendEvent(Fixture.message(1, seq: $0)) },
               to: store)
        XCTAssertEqual(try store.unindexedEventCount(), 0)
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1, 2, 3, 4])
    }
}
