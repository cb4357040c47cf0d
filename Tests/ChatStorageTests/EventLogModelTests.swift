import ChatCore
import Foundation
import GRDB
import XCTest
@testable import ChatStorage

/// A seeded model-based test of the event log (v9-v13): random batches through the group-commit writer with the
/// index flushed at random points (tiny and large `eventIndexBatch`, idle flushes), a restart (a new store and
/// writer on the same file, as after a crash), retention deleting closed chats, and erasure of a contact, with
/// every read checked against an in-memory model after every step: each session's events in pages that cross the
/// index boundary anywhere, its aggregates, search (every indexed word of a live chat finds it; nothing of a
/// deleted or erased one does), and `verify()`.
///
/// `LOG_MODEL_SEEDS` (default 8) and `LOG_MODEL_STEPS` (default 50) set the size; a failure prints its seed and
/// step; `LOG_MODEL_SEED=s` replays one seed.
final class EventLogModelTests: StorageTestCase {
    struct ModelSession {
        var contact: String
        var closed = false
        var events: [SessionEvent] = []
        var messages: Int { events.filter { $0.kind == .message }.count }
    }

    func testRandomHistoriesReadBackExactly() throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds = environment["LOG_MODEL_SEED"].flatMap(UInt64.init).map { [$0] }
            ?? Array(1...UInt64(environment["LOG_MODEL_SEEDS"].flatMap(Int.init) ?? 8))
        let steps = environment["LOG_MODEL_STEPS"].flatMap(Int.init) ?? 50
        for seed in seeds {
            try run(seed: seed, steps: steps)
        }
    }

    func run(seed: UInt64, steps: Int) throws {
        var rng = SplitMix(seed: seed)
        let path = directory.appendingPathComponent("model\(seed)/chat.sqlite").path
        let batchSizes = [1, 3, 17, 100_000]
        func open() throws -> (ChatStore, GroupCommitWriter, WriterLog) {
            let store = try ChatStore(path: path, durability: .normal,
                                      eventIndexBatch: batchSizes[Int(rng.next() % UInt64(batchSizes.count))],
                                      eventIndexDelaySeconds: 3_600)
            let log = WriterLog()
            let writer = log.makeWriter(store: store, capacity: 10_000)
            writer.start()
            return (store, writer, log)
        }
        var (store, writer, log) = try open()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        var model: [SessionID: ModelSession] = [:]
        var gone = Set<SessionID>()
        var nextSession: SessionID = 1
        var word = 0
        func fail(_ step: Int, _ message: String) {
            XCTFail("seed \(seed) step \(step): \(message) (replay: LOG_MODEL_SEED=\(seed))")
        }

        for step in 0..<steps {
            var writes: [StorageWrite] = []
            switch rng.next() % 10 {
            case 0, 1:
                // New chats, each with its request.
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let id = nextSession
                    nextSession += 1
                    let contact = "c\(rng.next() % 4)"
                    writes.append(.createSession(Fixture.session(id, contact: contact, state: .active, createdAt: Double(id))))
                    word += 1
                    let event = SessionEvent(sessionID: id, seq: 1, at: Fixture.at(Double(step)), kind: .requested,
                                             author: Participant(role: .customer, id: contact, name: "Cust \(contact)"),
                                             text: "w\(word)x", clientMessageID: "r\(id)")
                    writes.append(.appendEvent(event))
                    model[id] = ModelSession(contact: contact, events: [event])
                }
            case 2...6:
                // Messages in open chats, from either side.
                let open = model.filter { !$0.value.closed }.keys.sorted()
                guard !open.isEmpty else { break }
                for _ in 0..<(1 + Int(rng.next() % 8)) {
                    let id = open[Int(rng.next() % UInt64(open.count))]
                    word += 1
                    let customer = rng.next() % 2 == 0
                    let seq = Seq(model[id]!.events.count + 1)
                    let author = customer ? Participant(role: .customer, id: model[id]!.contact, name: "Cust")
                                          : Participant(role: .agent, id: "7", name: "Ann")
                    let event = SessionEvent(sessionID: id, seq: seq, at: Fixture.at(Double(step)), kind: .message,
                                             author: author, text: "w\(word)x", clientMessageID: "m\(word)")
                    writes.append(.appendEvent(event))
                    model[id]!.events.append(event)
                }
            case 7:
                // Close a chat.
                let open = model.filter { !$0.value.closed }.keys.sorted()
                guard let id = open.first(where: { _ in rng.next() % 2 == 0 }) ?? open.first else { break }
                let seq = Seq(model[id]!.events.count + 1)
                let event = SessionEvent(sessionID: id, seq: seq, at: Fixture.at(Double(step)), kind: .closed,
                                         author: .system, text: "closed", reason: "test")
                writes.append(.appendEvent(event))
                writes.append(.updateSession(Fixture.session(id, contact: model[id]!.contact, state: .closed,
                                                             createdAt: Double(id), closedAt: Double(step))))
                model[id]!.events.append(event)
                model[id]!.closed = true
            case 8:
                // A restart: the writer stops (a clean stop indexes), or is dropped with its queue drained
                // (as after a crash once commits are on disk), then a new store and writer open the file.
                writer.stop()
                (store, writer, log) = try open()
            default:
                // Retention of one closed chat, or erasure of a contact without open chats.
                writer.stop()
                if rng.next() % 2 == 0 {
                    let deleted = try store.deleteClosedChats(closedBefore: Fixture.at(Double(step) + 1), limit: 1)
                    let candidates = model.filter { $0.value.closed }.keys.sorted()
                    if deleted == 1 {
                        let remaining = Set(try store.dbPool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM sessions") })
                        for id in candidates where !remaining.contains(id) {
                            model[id] = nil
                            gone.insert(id)
                        }
                    }
                } else {
                    let contact = "c\(rng.next() % 4)"
                    if !model.values.contains(where: { $0.contact == contact && !$0.closed }) {
                        _ = try store.eraseContact(organizationID: "acme", contactID: contact)
                        for (id, session) in model where session.contact == contact {
                            model[id]!.events = session.events.map { event in
                                guard event.author.role == .customer, event.author.id == contact else { return event }
                                var erased = event
                                erased.text = event.text == nil ? nil : ChatStore.erasedText
                                erased.author.name = ChatStore.erasedText
                                return erased
                            }
                        }
                    }
                }
                (store, writer, log) = try open()
            }
            if !writes.isEmpty {
                // Submitted in random slices, so that commits group them differently.
                var index = 0
                while index < writes.count {
                    let size = 1 + Int(rng.next() % 5)
                    XCTAssertTrue(writer.submit(Array(writes[index..<min(index + size, writes.count)])))
                    index += size
                }
                while writer.queuedCount > 0 { usleep(200) }
                usleep(1_000)
            }
            guard log.failures.isEmpty else {
                return fail(step, "writes failed: \(log.failures.map(\.message))")
            }
            try check(store, model, gone, step: step, fail: fail)
        }
        writer.stop()
        try check(store, model, gone, step: steps, fail: fail)
    }

    func check(_ store: ChatStore, _ model: [SessionID: ModelSession], _ gone: Set<SessionID>, step: Int,
               fail: (Int, String) -> Void) throws {
        // The writer may still be committing the last slice: wait until everything modelled is readable.
        for _ in 0..<200 {
            let ready = try model.allSatisfy { id, session in try store.events(sessionID: id).count == session.events.count }
            if ready { break }
            usleep(5_000)
        }
        // The search index file catches up (the server's indexer does this on its thread).
        try store.indexSearch(chunk: Int(1 + step % 7))
        let through = try store.search.indexedThrough()
        for (id, session) in model.sorted(by: { $0.key < $1.key }) {
            let stored = try store.events(sessionID: id)
            guard stored == session.events else {
                return fail(step, "session \(id): stored \(stored.map { "\($0.seq):\($0.text ?? "-")" }) ≠ model \(session.events.map { "\($0.seq):\($0.text ?? "-")" })")
            }
            var paged: [SessionEvent] = []
            while true {
                let page = try store.historyPage(sessionID: id, afterSeq: paged.last?.seq ?? 0, limit: 2) { _ in true }
                paged += page.events
                if page.isLast { break }
            }
            guard paged == session.events else { return fail(step, "session \(id): paged read differs") }
            let aggregates = try store.dbPool.read { db in try EventReads.aggregates(db, sessionID: id) }
            guard aggregates.lastSeq == Seq(session.events.count), aggregates.messageCount == session.messages else {
                return fail(step, "session \(id): aggregates \(aggregates) ≠ (\(session.events.count), \(session.messages))")
            }
            // Every word still written in this chat finds it; an erased word finds nothing.
            for event in session.events.prefix(3) where event.text?.hasPrefix("w") == true {
                let word = event.text!
                let hits = try store.search(TranscriptSearch(query: SearchQuery(word)!)).hits.map(\.summary.record.id)
                let indexed = true   // caught up above
                if indexed && hits != [id] { return fail(step, "\(word) of session \(id) found \(hits) (boundary \(through))") }
                if !indexed && !hits.isEmpty { return fail(step, "\(word) not indexed yet but found \(hits)") }
            }
        }
        for id in gone {
            guard try store.session(id: id) == nil, try store.events(sessionID: id).isEmpty else {
                return fail(step, "deleted session \(id) is still there")
            }
        }
        let problems = try store.verify()
        if !problems.isEmpty { fail(step, "verify: \(problems)") }
    }
}
