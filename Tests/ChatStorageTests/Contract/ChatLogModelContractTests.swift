import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// A seeded model-based test of the chat log on every store (the idea of `EventLogModelTests`, through
/// `StorageBackend` only): random batches through the writer (new chats, messages from either side, read markers,
/// closures, resends of committed seqs that must fail alone), restarts (a new store and writer on the same
/// database), and after every step each session's events, pages of random sizes, last seq, markers and what
/// recovery returns, checked against an in-memory model. The same seed gives both stores the same history, and
/// their final answers must agree.
///
/// `CHAT_MODEL_SEEDS` (default 4) and `CHAT_MODEL_STEPS` (default 40) set the size; a failure prints its seed.
final class ChatLogModelContractTests: StorageContractCase {
    struct ModelSession {
        var contact: String
        var closed = false
        var events: [SessionEvent] = []
        var markers: [Participant.Role: Seq] = [:]
    }

    func testRandomHistoriesReadBackExactlyOnEveryStore() throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds = Array(1...UInt64(environment["CHAT_MODEL_SEEDS"].flatMap(Int.init) ?? 4))
        let steps = environment["CHAT_MODEL_STEPS"].flatMap(Int.init) ?? 40
        for seed in seeds {
            var finals: [String: RecoveredState] = [:]
            try forEachBackend { backend, name in
                finals[name] = try run(seed: seed, steps: steps, name: name, first: backend) { try reopen(backend) }
            }
            XCTAssertNotNil(finals["sqlite"], "seed \(seed)")
            if let postgresFinal = finals["postgres"] {
                XCTAssertEqual(finals["sqlite"], postgresFinal, "seed \(seed): the stores disagree")
            }
        }
    }

    /// Runs one seeded history; returns what recovery says at the end.
    func run(seed: UInt64, steps: Int, name: String, first: any StorageBackend,
             reopen: () throws -> any StorageBackend) throws -> RecoveredState {
        var rng = SplitMix(seed: seed)
        var store = first
        var log = WriterLog()
        func startWriter() -> any EventWriter {
            let writer = store.makeWriter(capacity: 10_000, lingerSeconds: Double(rng.next() % 3) / 1000,
                                          onCommit: { [log] in log.commit($0) }, onFailure: { [log] in log.fail($0) },
                                          onStorageState: { _ in })
            writer.start()
            return writer
        }
        var writer = startWriter()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv", regionID: nil, createdAt: Fixture.at(0))
        var model: [SessionID: ModelSession] = [:]
        var nextSession: SessionID = 1
        var expectedFailures: [StorageWrite] = []
        var word = 0
        for step in 0..<steps {
            var writes: [StorageWrite] = []
            let open = model.filter { !$0.value.closed }.keys.sorted()
            switch rng.next() % 10 {
            case 0, 1:
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let id = nextSession
                    nextSession += 1
                    let contact = "c\(rng.next() % 4)"
                    var record = Fixture.session(id, contact: contact, state: .queued, createdAt: Double(id))
                    record.requestClientID = "req-\(id)"
                    let event = SessionEvent(sessionID: id, seq: 1, at: Fixture.at(Double(step)), kind: .requested,
                                             author: Participant(role: .customer, id: contact, name: "Cust \(contact)"),
                                             text: "hello \(id)", clientMessageID: "r\(id)")
                    writes += [.createSession(record), .appendEvent(event), .registerContact("acme", contact)]
                    model[id] = ModelSession(contact: contact, events: [event])
                }
            case 2...5:
                guard !open.isEmpty else { break }
                for _ in 0..<(1 + Int(rng.next() % 12)) {
                    let id = open[Int(rng.next() % UInt64(open.count))]
                    word += 1
                    let customer = rng.next() % 2 == 0
                    let author = customer ? Participant(role: .customer, id: model[id]!.contact, name: "Cust")
                                          : Participant(role: .agent, id: "7", name: "Ann \"the\" agent")
                    let event = SessionEvent(sessionID: id, seq: Seq(model[id]!.events.count + 1),
                                             at: Fixture.at(Double(step) + Double(word % 4) * 0.25), kind: .message,
                                             author: author, text: "w\(word) {x}, \\ y", clientMessageID: "m\(word)")
                    writes.append(.appendEvent(event))
                    model[id]!.events.append(event)
                }
            case 6:
                guard let id = open.first else { break }
                let role: Participant.Role = rng.next() % 2 == 0 ? .customer : .agent
                let seq = Seq(1 + Int(rng.next() % UInt64(model[id]!.events.count)))
                writes.append(.readMarker(sessionID: id, role: role, seq: seq))
                model[id]!.markers[role] = max(model[id]!.markers[role] ?? 0, seq)
            case 7:
                guard let id = open.last else { break }
                let event = SessionEvent(sessionID: id, seq: Seq(model[id]!.events.count + 1), at: Fixture.at(Double(step)),
                                         kind: .closed, author: .system, text: "closed", reason: "test")
                writes += [.appendEvent(event),
                           .updateSession(Fixture.session(id, contact: model[id]!.contact, state: .closed,
                                                          createdAt: Double(id), closedAt: Double(step)))]
                model[id]!.events.append(event)
                model[id]!.closed = true
            case 8:
                // A resend of a committed seq: refused alone, whatever else shares its transaction.
                guard let id = model.keys.sorted().first, let committed = model[id]!.events.last else { break }
                var again = committed
                again.text = "resent"
                writes.append(.appendEvent(again))
                expectedFailures.append(.appendEvent(again))
            default:
                writer.stop()
                store = try reopen()
                log = WriterLog()
                writer = startWriter()
            }
            var index = 0
            while index < writes.count {
                let size = 1 + Int(rng.next() % 6)
                XCTAssertTrue(writer.submit(Array(writes[index..<min(index + size, writes.count)])))
                index += size
            }
            writer.stop()   // everything of this step committed or failed
            XCTAssertEqual(log.failures.map(\.write), expectedFailures, "\(name) seed \(seed) step \(step)")
            expectedFailures = []
            log = WriterLog()
            writer = startWriter()
            try check(store, model, name: "\(name) seed \(seed) step \(step)", rng: &rng)
        }
        writer.stop()
        return try store.recoverState(tailSize: 4)
    }

    func check(_ store: any StorageBackend, _ model: [SessionID: ModelSession], name: String, rng: inout SplitMix) throws {
        for (id, session) in model.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(try store.events(sessionID: id, afterSeq: 0, limit: nil), session.events, "\(name) session \(id)")
            var paged: [SessionEvent] = []
            let size = 1 + Int(rng.next() % 4)
            while true {
                let page = try store.historyPage(sessionID: id, afterSeq: paged.last?.seq ?? 0, limit: size,
                                                 staffCandidate: nil) { _ in true }
                paged += page.events
                if page.isLast { break }
            }
            XCTAssertEqual(paged, session.events, "\(name) session \(id) paged by \(size)")
            XCTAssertEqual(try store.storedSession(id: id, staffCandidate: nil)?.lastSeq, Seq(session.events.count), name)
            XCTAssertEqual(try store.readMarkers(sessionID: id), session.markers, "\(name) session \(id)")
        }
        let recovered = try store.recoverState(tailSize: 4)
        let open = model.filter { !$0.value.closed }
        XCTAssertEqual(recovered.openSessions.map(\.record.id), open.keys.sorted(), name)
        for session in recovered.openSessions {
            let expected = open[session.record.id]!
            XCTAssertEqual(session.lastSeq, Seq(expected.events.count), name)
            XCTAssertEqual(session.tail, Array(expected.events.suffix(4)), name)
            XCTAssertEqual(session.clientMessageIDs.count, expected.events.count, name)
            XCTAssertEqual(session.customerReadSeq, expected.markers[.customer] ?? 0, name)
            XCTAssertEqual(session.agentReadSeq, expected.markers[.agent] ?? 0, name)
        }
        XCTAssertEqual(recovered.nextSessionID, (model.keys.max() ?? 0) + 1, name)
    }
}
