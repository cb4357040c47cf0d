import ChatCore
import GRDB
import XCTest
@testable import ChatStorage

/// `sessions.last_seq` and `sessions.message_count` (v7) against the same figures counted from `session_events`,
/// whatever path committed the events: whole batches, the one-by-one fallback, retried batches, the migration.
final class SessionAggregateTests: StorageTestCase {
    /// Per session: (stored last_seq, counted), (stored message_count, counted). Equal pairs pass.
    func aggregates(_ store: ChatStore) throws -> [SessionID: [Int]] {
        try store.dbPool.read { db in
            var result: [SessionID: [Int]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT s.id, s.last_seq, s.message_count,
                       (SELECT COALESCE(MAX(seq), 0) FROM session_events e WHERE e.session_id = s.id) AS counted_seq,
                       (SELECT COUNT(*) FROM session_events e WHERE e.session_id = s.id AND e.kind = 'message')
                           AS counted_messages
                FROM sessions s
                """) {
                result[row["id"]] = [row["last_seq"], row["counted_seq"], row["message_count"], row["counted_messages"]]
            }
            return result
        }
    }

    func assertAggregatesMatchEvents(_ store: ChatStore, file: StaticString = #filePath, line: UInt = #line) throws {
        let all = try aggregates(store)
        XCTAssertFalse(all.isEmpty, file: file, line: line)
        for (id, figures) in all.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(figures[0], figures[1], "last_seq of session \(id)", file: file, line: line)
            XCTAssertEqual(figures[2], figures[3], "message_count of session \(id)", file: file, line: line)
        }
    }

    /// Random events (messages and others) for `sessions` sessions, numbered per session, cut into random batches.
    func randomBatches(sessions: Int, events: Int, seed: UInt64) -> [[StorageWrite]] {
        var rng = SplitMix(seed: seed)
        var writes: [StorageWrite] = (1...sessions).map {
            .createSession(Fixture.session(SessionID($0), contact: "c\($0)", createdAt: Double($0)))
        }
        var next = [SessionID: Seq]()
        let ann = StaffRef(id: 7, name: "Ann")
        for _ in 0..<events {
            let id = SessionID(1 + Int(rng.next() % UInt64(sessions)))
            let seq = (next[id] ?? 0) + 1
            next[id] = seq
            writes.append(.appendEvent(rng.next() % 3 == 0 ? Fixture.joined(id, seq: seq, agent: ann)
                                                            : Fixture.message(id, seq: seq, clientID: "m\(seq)")))
            if rng.next() % 10 == 0 {
                writes.append(.readMarker(sessionID: id, role: .customer, seq: seq))
            }
        }
        var batches: [[StorageWrite]] = []
        var index = 0
        while index < writes.count {
            let size = 1 + Int(rng.next() % 40)
            batches.append(Array(writes[index..<min(index + size, writes.count)]))
            index += size
        }
        return batches
    }

    func testAggregatesMatchTheEventsAfterRandomBatches() throws {
        for seed in UInt64(1)...5 {
            let store = try ChatStore(path: directory.appendingPathComponent("db\(seed)/chat.sqlite").path)
            let log = WriterLog()
            let writer = log.makeWriter(store: store, capacity: 10_000)
            writer.start()
            for batch in randomBatches(sessions: 12, events: 400, seed: seed) {
                XCTAssertTrue(writer.submit(batch))
                if seed % 2 == 0 { usleep(200) }   // some runs in many small drains, others in a few large ones
            }
            writer.stop()
            XCTAssertEqual(log.failures.map(\.message), [])
            try assertAggregatesMatchEvents(store)
        }
    }

    func testAggregatesMatchAfterTheOneByOneFallback() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 100)
        writer.injectedFailure = { write in
            if case .appendEvent(let event) = write, event.sessionID == 1, event.seq == 3 {
                throw InjectedStorageError(writeSpecific: true, description: "constraint")
            }
        }
        _ = writer.submit([.createSession(Fixture.session(1)), .createSession(Fixture.session(2, contact: "c2"))])
        // One batch: session 1 fails at seq 3 (so the batch is committed one write at a time); session 2 is whole.
        _ = writer.submit((1...5).map { .appendEvent(Fixture.message(1, seq: $0)) }
                      + [.appendEvent(Fixture.joined(2, seq: 1, agent: StaffRef(id: 7, name: "Ann")))]
                      + (2...4).map { .appendEvent(Fixture.message(2, seq: $0)) })
        writer.stop()
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1, 2])
        XCTAssertEqual(try aggregates(store)[1], [2, 2, 2, 2])
        XCTAssertEqual(try aggregates(store)[2], [4, 4, 3, 3])
        try assertAggregatesMatchEvents(store)
    }

    func testADuplicateEventIsNotCounted() throws {
        let store = try makeStore()
        commit([.createSession(Fixture.session(1)), .createSession(Fixture.session(2, contact: "c2")),
                .appendEvent(Fixture.message(1, seq: 1))], to: store)
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 10)
        _ = writer.submit([.appendEvent(Fixture.message(1, seq: 1)), .appendEvent(Fixture.message(2, seq: 1)),
                           .appendEvent(Fixture.message(2, seq: 2))])
        writer.stop()
        XCTAssertEqual(log.failures.count, 1, "the duplicate")
        XCTAssertEqual(try aggregates(store)[1], [1, 1, 1, 1])
        XCTAssertEqual(try aggregates(store)[2], [2, 2, 2, 2])
    }

    func testARetriedBatchCountsItsEventsOnce() throws {
        let store = try makeStore()
        let log = WriterLog()
        let writer = log.makeWriter(store: store, capacity: 100)
        let failures = FailureBudget(2)
        // Fails after the events were applied in the transaction: the retry must not add them twice.
        writer.injectedFailure = { write in
            if case .readMarker = write { try failures.spend() }
        }
        _ = writer.submit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1)),
                       .appendEvent(Fixture.message(1, seq: 2)), .readMarker(sessionID: 1, role: .customer, seq: 2)])
        writer.stop()
        XCTAssertEqual(log.failures.map(\.message), [])
        XCTAssertEqual(try aggregates(store)[1], [2, 2, 2, 2])
    }

    func testTheMigrationBackfillsAggregatesAndTheListingUsesThem() throws {
        try FileManager.default.createDirectory(atPath: (databasePath as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        do {
            let v6 = try DatabaseQueue(path: databasePath)
            try ChatStore.migrator.migrate(v6, upTo: "v6-staff-access")
            try v6.write { db in
                for (id, state, ticket) in [(1, "closed", nil), (2, "active", nil), (3, "closed", 17)] as [(Int, String, Int?)] {
                    try db.execute(sql: """
                        INSERT INTO sessions (id, organization_id, contact_id, customer_name, customer_email, product_id,
                                              subject, state, created_at, ticket_number)
                        VALUES (?, 'acme', 'c1', 'Ann', 'ann@example.com', 'pressero', 'S', ?, ?, ?)
                        """, arguments: [id, state, Double(id), ticket])
                }
                for (session, seq, kind) in [(1, 1, "message"), (1, 2, "joined"), (1, 3, "message"), (1, 4, "closed"),
                                             (3, 1, "message")] {
                    try db.execute(sql: """
                        INSERT INTO session_events (session_id, seq, at, kind, author_role, author_id, author_name)
                        VALUES (?, ?, 0, ?, 'customer', 'c1', 'Ann')
                        """, arguments: [session, seq, kind])
                }
            }
        }
        let store = try makeStore()
        XCTAssertEqual(try aggregates(store), [1: [4, 4, 2, 2], 2: [0, 0, 0, 0], 3: [1, 1, 1, 1]])
        let listed = try store.sessions(matching: TranscriptFilter())
        XCTAssertEqual(listed.map(\.record.id), [3, 2, 1])
        XCTAssertEqual(listed.map(\.lastSeq), [1, 0, 4])
        XCTAssertEqual(listed.map(\.messageCount), [1, 0, 2])
        XCTAssertEqual(try store.sessions(matching: TranscriptFilter(outcome: .closed)).map(\.record.id), [1])
        XCTAssertEqual(try store.sessions(matching: TranscriptFilter(outcome: .converted)).map(\.record.id), [3])
        XCTAssertEqual(try store.sessions(matching: TranscriptFilter(outcome: .open)).map(\.record.id), [2])
    }

    func testEveryFilterReadsItsPageFromAnIndexWithoutSorting() throws {
        let store = try makeStore()
        let filters: [(String, TranscriptFilter)] = [
            ("none", TranscriptFilter()), ("organization", TranscriptFilter(organizationID: "acme")),
            ("contact", TranscriptFilter(contactID: "c1")),
            ("from/to", TranscriptFilter(from: Fixture.at(0), to: Fixture.at(10))),
            ("state", TranscriptFilter(state: .closed)), ("outcome", TranscriptFilter(outcome: .closed)),
            ("outcome open", TranscriptFilter(outcome: .open)),
        ]
        for (name, filter) in filters {
            let plan = try store.transcriptListingPlan(filter)
            XCTAssertFalse(plan.split(separator: "\n").contains("SCAN s"), "\(name) scans the table:\n\(plan)")
            XCTAssertEqual(plan.components(separatedBy: "TEMP B-TREE FOR ORDER BY").count - 1, 1,
                           "\(name) sorts only the page (the outer query), not the matching rows:\n\(plan)")
        }
    }
}

/// A deterministic random generator for reproducible tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Throws a transient failure a given number of times, then lets writes through. Locked; any thread.
final class FailureBudget: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int
    init(_ count: Int) { left = count }
    func spend() throws {
        try lock.withLock {
            guard left > 0 else { return }
            left -= 1
            throw InjectedStorageError(description: "transient")
        }
    }
}
