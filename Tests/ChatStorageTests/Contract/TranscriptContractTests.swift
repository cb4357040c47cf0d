import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// The transcript listing on every backend: each filter, counts, offsets and keyset cursors, aggregates, facts.
final class TranscriptContractTests: StorageContractCase {
    let ann = StaffRef(id: 7, name: "Ann")
    let bob = StaffRef(id: 8, name: "Bob")

    /// Ten chats a minute apart: odd ids of acme (contact c1), even ids of globex (c2); 1...4 closed (2 converted),
    /// 5...10 queued. Ann joined 1, 3, 5; Bob joined 3 (a transfer) and is on 6's row.
    func fill(_ store: any StorageBackend) throws {
        var writes: [StorageWrite] = []
        for id in SessionID(1)...10 {
            var record = Fixture.session(id, org: id % 2 == 1 ? "acme" : "globex", contact: id % 2 == 1 ? "c1" : "c2",
                                         state: id <= 4 ? .closed : .queued, agent: id == 6 ? bob : nil,
                                         createdAt: Double(id) * 60, closedAt: id <= 4 ? Double(id) * 60 + 30 : nil)
            if id == 2 { record.ticketNumber = 1 }
            writes.append(.createSession(record))
            writes.append(.appendEvent(Fixture.message(id, seq: 1)))
        }
        writes += [.appendEvent(Fixture.joined(1, seq: 2, agent: ann)), .appendEvent(Fixture.message(1, seq: 3, role: .agent)),
                   .appendEvent(Fixture.joined(3, seq: 2, agent: ann)),
                   .appendEvent(Fixture.transferred(3, seq: 3, from: ann, to: bob)),
                   .appendEvent(Fixture.joined(3, seq: 4, agent: bob)),
                   .appendEvent(Fixture.joined(5, seq: 2, agent: ann))]
        try seed(writes, to: store)
    }

    func ids(_ summaries: [TranscriptSummary]) -> [SessionID] { summaries.map(\.record.id) }

    func testFiltersCountsAndPages() throws {
        try forEachBackend { store, name in
            try fill(store)
            let all = try store.sessions(matching: TranscriptFilter())
            XCTAssertEqual(ids(all), Array((1...10).reversed()), "newest first (\(name))")
            XCTAssertEqual(all.last?.lastSeq, 3, name)
            XCTAssertEqual(all.last?.messageCount, 2, name)
            let cases: [(TranscriptFilter, [SessionID])] = [
                (TranscriptFilter(organizationID: "acme"), [9, 7, 5, 3, 1]),
                (TranscriptFilter(contactID: "c2"), [10, 8, 6, 4, 2]),
                (TranscriptFilter(agentID: 7), [5, 3, 1]),
                (TranscriptFilter(agentID: 8), [6, 3]),
                (TranscriptFilter(agentID: 7, state: .closed), [3, 1]),
                (TranscriptFilter(from: Fixture.at(180), to: Fixture.at(420)), [6, 5, 4, 3]),
                (TranscriptFilter(agentID: 7, from: Fixture.at(120)), [5, 3]),
                (TranscriptFilter(state: .closed), [4, 3, 2, 1]),
                (TranscriptFilter(outcome: .converted), [2]),
                (TranscriptFilter(outcome: .closed), [4, 3, 1]),
                (TranscriptFilter(outcome: .open), [10, 9, 8, 7, 6, 5]),
                (TranscriptFilter(organizationID: "globex", outcome: .open), [10, 8, 6]),
            ]
            for (filter, expected) in cases {
                XCTAssertEqual(ids(try store.sessions(matching: filter)), expected, "\(filter) (\(name))")
                XCTAssertEqual(try store.countSessions(matching: filter), expected.count, "\(filter) (\(name))")
                var page = filter
                page.limit = 2
                page.offset = 1
                XCTAssertEqual(ids(try store.sessions(matching: page)), Array(expected.dropFirst().prefix(2)),
                               "offset \(filter) (\(name))")
                // Keyset pages of 2 cover the listing once, in order.
                var cursor = filter
                cursor.limit = 2
                var seen: [SessionID] = []
                while true {
                    let rows = try store.sessions(matching: cursor)
                    seen += ids(rows)
                    guard rows.count == 2, let last = rows.last else { break }
                    cursor.after = TranscriptCursor(after: last.record)
                }
                XCTAssertEqual(seen, expected, "cursor \(filter) (\(name))")
            }
        }
    }

    func testFactsNameEveryAgentInOrder() throws {
        try forEachBackend { store, name in
            try fill(store)
            XCTAssertEqual(try store.transcriptFacts(sessionID: 3),
                           TranscriptFacts(firstJoinedAt: Fixture.at(0.5), agents: [ann, bob]), name)
            XCTAssertEqual(try store.transcriptFacts(sessionID: 10), TranscriptFacts(), name)
        }
    }
}
