import ChatCore
import Foundation
import GRDB
import XCTest
@testable import ChatStorage

/// The tail flush writes its pieces from the writer's memory of the events it committed (`TailMemory`,
/// `ChatStore.indexEntries`), and reads `events` only when that memory does not hold the whole range (after a
/// start, a failed transaction, a dropped flush). Whichever way a flush went, the index and the session
/// aggregates must equal what the events themselves say.
final class TailMemoryTests: StorageTestCase {
    private func entry(_ id: Int64, session: Int64 = 1, seq: Int64? = nil) -> TailEntry {
        let event = SessionEvent(sessionID: session, seq: seq ?? id, at: Fixture.at(Double(id)), kind: .message,
                                 author: Participant(role: .customer, id: "c1", name: "C"), text: "m")
        return TailEntry(event, id: id)
    }

    func testTheMemoryHoldsAnUnbrokenRunOfIdsOrNothing() {
        var memory = TailMemory(after: 10, limit: 5)
        XCTAssertTrue(memory.append([entry(11), entry(12)]))
        XCTAssertNotNil(memory.pieces(from: 10, through: 12, pending: [], count: 8))
        XCTAssertNil(memory.pieces(from: 9, through: 12, pending: [], count: 8), "an event before the memory started")
        XCTAssertNil(memory.pieces(from: 10, through: 13, pending: [], count: 8), "an event after the last remembered")
        XCTAssertFalse(memory.append([entry(14)]), "a gap (event 13 was written by someone else)")
        XCTAssertTrue(memory.append([entry(13), entry(14), entry(15)]))
        XCTAssertFalse(memory.append([entry(16)]), "past the limit")
        memory.forget(through: 13)
        XCTAssertEqual(memory.entries.map(\.eventID), [14, 15])
        XCTAssertEqual(memory.after, 13)
        XCTAssertTrue(memory.append([entry(16)]))
    }

    func testPiecesSplitBySessionAndSortBySeqWithTheTransactionsOwnEvents() {
        var memory = TailMemory(after: 0, limit: 100)
        XCTAssertTrue(memory.append([entry(1, session: 3, seq: 1), entry(2, session: 2, seq: 1), entry(3, session: 3, seq: 2)]))
        let pending = [entry(4, session: 5, seq: 1), entry(5, session: 2, seq: 2)]
        let pieces = memory.pieces(from: 0, through: 5, pending: pending, count: 2)
        XCTAssertEqual(pieces?.map { $0.map(\.eventID) }, [[2, 5], [1, 3, 4]])
        XCTAssertEqual(memory.pieces(from: 1, through: 4, pending: pending, count: 2)?.map { $0.map(\.eventID) },
                       [[2], [3, 4]], "only the flush's range")
        XCTAssertNil(memory.pieces(from: 0, through: 6, pending: pending, count: 2), "event 6 is not known")
        XCTAssertNil(memory.pieces(from: 0, through: 5, pending: [entry(5, session: 2, seq: 2)], count: 2),
                     "event 4 is not known")
        XCTAssertEqual(TailMemory.piece(of: -3, count: 8), 5, "as SQLite's (id % n + n) % n")
    }

    /// Seeded: random chats and events (messages from every role, joins, notes, equal timestamps) through a
    /// writer with a small `eventIndexBatch`, transient and write-specific failures injected, restarts, the whole
    /// tail indexed by another connection; after every step each index entry names its own event, and whenever the
    /// writer has indexed everything the index and every session's aggregates equal a recomputation from
    /// `events`. Both kinds of flush must have run.
    /// `TAIL_MEMORY_SEED=s` replays one seed.
    func testFlushesFromMemoryAndFromEventsAgreeWithTheEvents() throws {
        let replay = ProcessInfo.processInfo.environment["TAIL_MEMORY_SEED"].flatMap(UInt64.init)
        let seeds: [UInt64] = replay.map { [$0] } ?? [1, 2, 3]
        var fromMemory = 0
        var readingEvents = 0
        for seed in seeds {
            let counts = try run(seed: seed, steps: 60)
            fromMemory += counts.memory
            readingEvents += counts.events
        }
        XCTAssertGreaterThan(fromMemory, 10, "few flushes came from the writer's memory")
        XCTAssertGreaterThan(readingEvents, 2, "no flush had to read events")
    }

    private final class FailurePlan: @unchecked Sendable {
        let lock = NSLock()
        var next: InjectedStorageError?
        func take() -> InjectedStorageError? { lock.withLock { defer { next = nil }; return next } }
        func set(_ error: InjectedStorageError?) { lock.withLock { next = error } }
    }

    private func run(seed: UInt64, steps: Int) throws -> (memory: Int, events: Int) {
        var rng = SplitMix(seed: seed)
        let path = directory.appendingPathComponent("memory\(seed)/chat.sqlite").path
        let plan = FailurePlan()
        var counts = (memory: 0, events: 0)
        func open() throws -> (ChatStore, GroupCommitWriter, WriterLog) {
            let store = try ChatStore(path: path, durability: .normal, eventIndexBatch: 4 + Int(rng.next() % 40),
                                      eventIndexDelaySeconds: 0.01)
            let log = WriterLog()
            let writer = log.makeWriter(store: store, capacity: 10_000)
            writer.injectedFailure = { _ in if let error = plan.take() { throw error } }
            writer.start()
            return (store, writer, log)
        }
        func close(_ writer: GroupCommitWriter) {
            writer.stop()
            counts.memory += writer.flushesFromMemory
            counts.events += writer.flushesReadingEvents
        }
        var (store, writer, log) = try open()
        var submitted = 0   // to this writer
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        var seqs: [SessionID: Seq] = [:]
        var failedSeqs: [SessionID: Seq] = [:]
        var nextSession: SessionID = 1
        var clock = 0.0
        let ann = StaffRef(id: 7, name: "Ann")
        func fail(_ step: Int, _ message: String) {
            XCTFail("seed \(seed) step \(step): \(message) (replay: TAIL_MEMORY_SEED=\(seed))")
        }

        for step in 0..<steps {
            var writes: [StorageWrite] = []
            if seqs.isEmpty || rng.next() % 6 == 0 {
                let id = nextSession
                nextSession += 1
                writes.append(.createSession(Fixture.session(id, contact: "c\(id)", createdAt: Double(id))))
                seqs[id] = 0
            }
            let sessions = seqs.keys.sorted()
            for _ in 0..<(1 + Int(rng.next() % 30)) {
                let id = sessions[Int(rng.next() % UInt64(sessions.count))]
                let seq = seqs[id]! + 1
                seqs[id] = seq
                clock += Double(rng.next() % 3)   // as the engine's clock: never back, sometimes the same
                let at = Fixture.at(clock)
                let roles: [Participant.Role] = [.customer, .agent, .supervisor, .system]
                let role = roles[Int(rng.next() % 4)]
                let author = Participant(role: role, id: role == .customer ? "c\(id)" : "7", name: "N")
                let event: SessionEvent
                switch rng.next() % 5 {
                case 0: event = SessionEvent(sessionID: id, seq: seq, at: at, kind: .joined, author: .system, text: "j", agent: ann)
                case 1: event = SessionEvent(sessionID: id, seq: seq, at: at, kind: .note, author: author, text: "n")
                default: event = SessionEvent(sessionID: id, seq: seq, at: at, kind: .message, author: author, text: "m")
                }
                writes.append(.appendEvent(event))
            }
            switch rng.next() % 12 {
            case 0: plan.set(InjectedStorageError(writeSpecific: false))   // retried: the batch commits later
            case 1: plan.set(InjectedStorageError(writeSpecific: true))    // one write fails; its session is held
            case 3:
                // Another connection indexes the whole tail, maybe in the middle of a flush the writer then
                // finishes: its pieces must not count a message twice.
                _ = try store.indexAllEvents()
            case 2:
                close(writer)
                (store, writer, log) = try open()
                submitted = 0
            default: break
            }
            var index = 0
            while index < writes.count {
                let size = 1 + Int(rng.next() % 8)
                XCTAssertTrue(writer.submit(Array(writes[index..<min(index + size, writes.count)])))
                index += size
            }
            submitted += writes.count
            // Every write committed or reported failed (a drained queue may still be committing its last batch).
            while log.receipts.reduce(0, { $0 + $1.batchSize }) + log.failures.count < submitted { usleep(200) }
            // A write that failed on its own: its session's later events failed too; the engine would number
            // them again from the failed seq, as the model does here.
            var neverCreated = Set<SessionID>()
            for failure in log.failures {
                switch failure.write {
                case .appendEvent(let event):
                    failedSeqs[event.sessionID] = min(failedSeqs[event.sessionID] ?? event.seq, event.seq)
                case .createSession(let record): neverCreated.insert(record.id)
                default: break
                }
            }
            if !failedSeqs.isEmpty || !neverCreated.isEmpty {
                close(writer)
                for (id, seq) in failedSeqs { seqs[id] = seq - 1 }
                for id in neverCreated { seqs[id] = nil }
                failedSeqs = [:]
                (store, writer, log) = try open()
                submitted = 0
            }
            if let problem = try entriesNamingOtherEvents(store) {
                fail(step, problem)
                break
            }
            if rng.next() % 3 == 0 {
                var waited = 0
                while try store.unindexedEventCount() > 0 && waited < 1_000 {
                    usleep(2_000)
                    waited += 1
                }
                if let problem = try differenceFromEvents(store) {
                    fail(step, problem)
                    break
                }
            }
        }
        close(writer)
        if let problem = try differenceFromEvents(store) { fail(steps, problem) }
        return counts
    }

    /// An index entry whose event has another session or seq, or that names no event.
    private func entriesNamingOtherEvents(_ store: ChatStore) throws -> String? {
        try store.dbPool.read { db in
            let wrong = try Row.fetchAll(db, sql: """
                SELECT i.session_id, i.seq, i.event_id FROM event_index i LEFT JOIN events e ON e.id = i.event_id
                WHERE e.id IS NULL OR e.session_id != i.session_id OR e.seq != i.seq LIMIT 3
                """)
            return wrong.isEmpty ? nil : "index entries naming other events: \(wrong)"
        }
    }

    /// With everything indexed: the index differs from one entry per event, or a session's aggregates from
    /// what its events say.
    private func differenceFromEvents(_ store: ChatStore) throws -> String? {
        try store.dbPool.read { db in
            let unindexed = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE id > (SELECT indexed_through FROM event_index_state)") ?? 0
            guard unindexed == 0 else { return "\(unindexed) events still unindexed" }
            let index = try Row.fetchAll(db, sql: "SELECT session_id, seq, event_id FROM event_index ORDER BY event_id")
            let events = try Row.fetchAll(db, sql: "SELECT session_id, seq, id FROM events ORDER BY id")
            guard index.map({ [$0[0], $0[1], $0[2]] as [Int64] }) == events.map({ [$0[0], $0[1], $0[2]] as [Int64] }) else {
                return "the index (\(index.count) entries) is not one entry per event (\(events.count))"
            }
            let wrong = try Row.fetchAll(db, sql: """
                SELECT s.id, s.last_seq, s.message_count, s.first_joined_at, s.first_agent_reply_at,
                       t.last_seq, t.messages, t.joined, t.replied
                FROM sessions s LEFT JOIN (
                    SELECT session_id, MAX(seq) AS last_seq, SUM(kind = 'message') AS messages,
                           MIN(at) FILTER (WHERE kind = 'joined') AS joined,
                           MIN(at) FILTER (WHERE kind = 'message' AND author_role IN ('agent', 'supervisor')) AS replied
                    FROM events GROUP BY session_id) t ON t.session_id = s.id
                WHERE s.last_seq IS NOT COALESCE(t.last_seq, 0) OR s.message_count IS NOT COALESCE(t.messages, 0)
                   OR s.first_joined_at IS NOT t.joined OR s.first_agent_reply_at IS NOT t.replied
                LIMIT 3
                """)
            return wrong.isEmpty ? nil : "sessions whose aggregates differ from their events: \(wrong)"
        }
    }
}
