import ChatCore
import GRDB
import XCTest
@testable import ChatStorage

/// `sessions.last_seq` and `sessions.message_count` (v7; since v9 plus the unindexed tail's) against the same figures
/// counted from `events`, and the event index against the log (every event up to `indexed_through` indexed once,
/// none after it), whatever path committed the events: whole batches, the one-by-one fallback, retried batches,
/// index flushes at any point, the migrations.
final class SessionAggregateTests: StorageTestCase {
    /// Per session: (stored last_seq, counted), (stored message_count, counted). Equal pairs pass.
    func aggregates(_ store: ChatStore) throws -> [SessionID: [Int]] {
        try store.dbPool.read { db in
            var result: [SessionID: [Int]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT s.id,
                       (SELECT COALESCE(MAX(seq), 0) FROM events e WHERE e.session_id = s.id) AS counted_seq,
                       (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id AND e.kind = 'message')
                           AS counted_messages
                FROM sessions s
                """) {
                let id: SessionID = row["id"]
                let stored = try EventReads.aggregates(db, sessionID: id)
                result[id] = [Int(stored.lastSeq), row["counted_seq"], stored.messageCount, row["counted_messages"]]
            }
            return result
        }
    }

    /// Index entries that are missing (event ids up to the boundary without one), wrong, or beyond the boundary.
    func indexDefects(_ store: ChatStore) throws -> [String] {
        try store.dbPool.read { db in
            let through = try EventReads.indexedThrough(db)
            return try String.fetchAll(db, sql: """
                SELECT 'unindexed ' || e.id FROM events e
                WHERE e.id <= ?1 AND NOT EXISTS (SELECT 1 FROM event_index i
                                                 WHERE i.event_id = e.id AND i.session_id = e.session_id AND i.seq = e.seq)
                UNION ALL SELECT 'entry beyond the boundary ' || event_id FROM event_index WHERE event_id > ?1
                UNION ALL SELECT 'entry without its event ' || event_id FROM event_index i
                          WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = i.event_id)
                """, arguments: [through])
        }
    }

    /// `session_agents` as stored, and as the old listing computed it (event agents and row agents).
    func agentPairs(_ store: ChatStore) throws -> (stored: [String], counted: [String]) {
        try store.dbPool.read { db in
            let stored = try String.fetchAll(db, sql: """
                SELECT a.agent_id || '/' || a.session_id FROM session_agents a JOIN sessions s ON s.id = a.session_id
                WHERE a.created_at = s.created_at ORDER BY 1
                """)
            let counted = try String.fetchAll(db, sql: """
                SELECT DISTINCT agent_id || '/' || session_id FROM events WHERE agent_id IS NOT NULL
                UNION SELECT agent_id || '/' || id FROM sessions WHERE agent_id IS NOT NULL ORDER BY 1
                """)
            return (stored, counted)
        }
    }

    func assertAggregatesMatchEvents(_ store: ChatStore, file: StaticString = #filePath, line: UInt = #line) throws {
        // The old listing's agents (named by an event, or on the row now) are all in session_agents; it may also
        // hold an agent that was on the row before and is named by no event (the engine does not do that).
        let pairs = try agentPairs(store)
        XCTAssertEqual(Set(pairs.counted).subtracting(pairs.stored), [], "session_agents", file: file, line: line)
        XCTAssertEqual(try indexDefects(store), [], file: file, line: line)
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
        let agents = (7...9).map { StaffRef(id: $0, name: "Agent \($0)") }
        var writes: [StorageWrite] = (1...sessions).map {
            .createSession(Fixture.session(SessionID($0), contact: "c\($0)", agent: $0 % 4 == 0 ? agents[2] : nil,
                                           createdAt: Double($0)))
        }
        var next = [SessionID: Seq]()
        for _ in 0..<events {
            let id = SessionID(1 + Int(rng.next() % UInt64(sessions)))
            let seq = (next[id] ?? 0) + 1
            next[id] = seq
            let agent = agents[Int(rng.next() % 3)]
            writes.append(.appendEvent(rng.next() % 3 == 0 ? Fixture.joined(id, seq: seq, agent: agent)
                                                            : Fixture.message(id, seq: seq, clientID: "m\(seq)")))
            if rng.next() % 25 == 0 {
                writes.append(.updateSession(Fixture.session(id, contact: "c\(id)", state: .active, agent: agent,
                                                             createdAt: Double(id))))
            }
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
            // The index is flushed at different points: after every event, every few batches, or never.
            let store = try ChatStore(path: directory.appendingPathComponent("db\(seed)/chat.sqlite").path,
                                      eventIndexBatch: [1, 5, 37, 100_000, 64][Int(seed % 5)])
            let log = WriterLog()
            let writer = log.makeWriter(store: store, capacity: 10_000)
            writer.start()
            let batches = randomBatches(sessions: 12, events: 400, seed: seed)
            for batch in batches {
                XCTAssertTrue(writer.submit(batch))
                if seed % 2 == 0 { usleep(200) }   // some runs in many small drains, others in a few large ones
            }
            writer.stop()
            XCTAssertEqual(log.failures.map(\.message), [])
            try assertAggregatesMatchEvents(store)
            XCTAssertEqual(try agentPairs(store).stored, Self.agentPairs(batches.joined()), "seed \(seed)")
            // Every session reads back whole and in order, in pages that cross the index's boundary anywhere.
            for id in SessionID(1)...12 {
                let all = try store.events(sessionID: id).map(\.seq)
                XCTAssertEqual(all, all.isEmpty ? [] : Array(1...Seq(all.count)), "session \(id), seed \(seed)")
                var paged: [Seq] = []
                while let next = try store.events(sessionID: id, afterSeq: paged.last ?? 0, limit: 3).nilIfEmpty {
                    paged += next.map(\.seq)
                }
                XCTAssertEqual(paged, all, "paged, session \(id), seed \(seed)")
            }
            try store.indexAllEvents()
            try assertAggregatesMatchEvents(store)
            XCTAssertEqual(try store.unindexedEventCount(), 0)
        }
    }

    /// Every (agent, session) pair named by the writes, as `agentPairs` spells them.
    static func agentPairs<S: Sequence>(_ writes: S) -> [String] where S.Element == StorageWrite {
        var pairs = Set<String>()
        for write in writes {
            switch write {
            case .appendEvent(let event): if let agent = event.agent { pairs.insert("\(agent.id)/\(event.sessionID)") }
            case .createSession(let record), .updateSession(let record):
                if let agent = record.agent { pairs.insert("\(agent.id)/\(record.id)") }
            default: break
            }
        }
        return pairs.sorted()
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
        _ = writer.submit((1...2).map { .appendEvent(Fixture.message(1, seq: $0)) }
                      + [.appendEvent(Fixture.joined(1, seq: 3, agent: StaffRef(id: 9, name: "Bob")))]
                      + (4...5).map { .appendEvent(Fixture.message(1, seq: $0)) }
                      + [.appendEvent(Fixture.joined(2, seq: 1, agent: StaffRef(id: 7, name: "Ann")))]
                      + (2...4).map { .appendEvent(Fixture.message(2, seq: $0)) })
        writer.stop()
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1, 2])
        XCTAssertEqual(try aggregates(store)[1], [2, 2, 2, 2])
        XCTAssertEqual(try aggregates(store)[2], [4, 4, 3, 3])
        XCTAssertEqual(try agentPairs(store).stored, ["7/2"], "the failed join names nobody")
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
                                              subject, state, created_at, ticket_number, agent_id, agent_name)
                        VALUES (?, 'acme', 'c1', 'Ann', 'ann@example.com', 'pressero', 'S', ?, ?, ?, ?, 'Seven')
                        """, arguments: [id, state, Double(id), ticket, id == 2 ? nil : 7])
                }
                for (session, seq, kind) in [(1, 1, "message"), (1, 2, "joined"), (1, 3, "message"), (1, 4, "closed"),
                                             (3, 1, "message")] {
                    try db.execute(sql: """
                        INSERT INTO session_events (session_id, seq, at, kind, author_role, author_id, author_name, agent_id)
                        VALUES (?, ?, 0, ?, 'customer', 'c1', 'Ann', ?)
                        """, arguments: [session, seq, kind, kind == "joined" ? 8 : nil])
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
        XCTAssertEqual(try store.sessions(matching: TranscriptFilter(agentID: 7)).map(\.record.id), [3, 1],
                       "session_agents is backfilled from join events and session rows")
        XCTAssertEqual(try store.sessions(matching: TranscriptFilter(agentID: 8)).map(\.record.id), [1])
        let pairs = try agentPairs(store)
        XCTAssertEqual(pairs.stored, pairs.counted)
    }

    func testEveryFilterReadsItsPageFromAnIndexWithoutSorting() throws {
        let store = try makeStore()
        let filters: [(String, TranscriptFilter)] = [
            ("none", TranscriptFilter()), ("organization", TranscriptFilter(organizationID: "acme")),
            ("contact", TranscriptFilter(contactID: "c1")),
            ("from/to", TranscriptFilter(from: Fixture.at(0), to: Fixture.at(10))),
            ("state", TranscriptFilter(state: .closed)), ("outcome", TranscriptFilter(outcome: .closed)),
            ("outcome open", TranscriptFilter(outcome: .open)), ("agent", TranscriptFilter(agentID: 7)),
            ("agent and dates", TranscriptFilter(agentID: 7, from: Fixture.at(0), to: Fixture.at(10))),
        ]
        for (name, filter) in filters {
            let plan = try store.transcriptListingPlan(filter)
            XCTAssertFalse(plan.split(separator: "\n").contains { $0 == "SCAN s" || $0 == "SCAN a" },
                           "\(name) scans a table:\n\(plan)")
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

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
