import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Full-text search on every backend (as SearchTests): accents and case, prefixes, phrases, the session header,
/// filters (an agent's own chats: how the server scopes agents), cursor pages, totals, snippets, and that
/// nothing typed is query syntax.
final class SearchContractTests: StorageContractCase {
    /// Sessions 1...5 of "acme" (Acme Corporation) and 6 of "globex" (Globex Ünited); Ann (7) handled 2 and 4.
    func fill(_ store: any StorageBackend) throws {
        try store.createOrganization(id: "acme", name: "Acme Corporation", planID: "business", regionID: nil,
                                     createdAt: Fixture.at(0))
        try store.createOrganization(id: "globex", name: "Globex Ünited", planID: "business", regionID: nil,
                                     createdAt: Fixture.at(0))
        let texts: [SessionID: [String]] = [
            1: ["Crème brûlée recipe", "The invoice failed to print"],
            2: ["Failed invoice, again", "printing problems"],
            3: ["Nothing relevant here"],
            4: ["INVOICE numbers are wrong", "brulee?"],
            5: ["hello", "the invoice failed"],
            6: ["invoice failed at Globex"],
        ]
        let ann = StaffRef(id: 7, name: "Ann")
        var writes: [StorageWrite] = []
        for id in SessionID(1)...6 {
            writes.append(.createSession(Fixture.session(id, org: id == 6 ? "globex" : "acme", contact: "c\(id)",
                                                         createdAt: Double(id))))
            writes.append(.appendEvent(SessionEvent(sessionID: id, seq: 1, at: Fixture.at(Double(id)), kind: .requested,
                                                    author: Participant(role: .customer, id: "c\(id)", name: "Ann"),
                                                    text: "Subject \(id)")))
            var seq: Seq = 1
            if id == 2 || id == 4 {
                seq += 1
                writes.append(.appendEvent(Fixture.joined(id, seq: seq, agent: ann)))
            }
            for text in texts[id, default: []] {
                seq += 1
                writes.append(.appendEvent(Fixture.message(id, seq: seq, text: text)))
            }
        }
        writes.append(.appendEvent(SessionEvent(sessionID: 3, seq: 3, at: Fixture.at(9), kind: .converted,
                                                author: Participant(role: .agent, id: "7", name: "Ann"),
                                                text: "Converted", ticketNumber: 4711)))
        try seed(writes, to: store)
    }

    func ids(_ page: SearchPage) -> [SessionID] { page.hits.map(\.summary.record.id) }

    func find(_ store: any StorageBackend, _ text: String, filter: TranscriptFilter = TranscriptFilter(),
              before: SessionID? = nil) throws -> SearchPage {
        let query = try XCTUnwrap(SearchQuery(text), "query \(text)")
        return try store.search(TranscriptSearch(query: query, filter: filter, before: before))
    }

    func testAccentsCaseWordsPrefixesPhrasesAndHeaders() throws {
        try forEachBackend { store, name in
            try fill(store)
            XCTAssertEqual(ids(try find(store, "creme")), [1], "accents and case do not matter (\(name))")
            XCTAssertEqual(ids(try find(store, "BRULEE")), [4, 1], name)
            XCTAssertEqual(ids(try find(store, "brul")), [], "a word matches whole words (\(name))")
            XCTAssertEqual(ids(try find(store, "brul*")), [4, 1], "a trailing * matches a prefix (\(name))")
            XCTAssertEqual(ids(try find(store, "invoice failed")), [6, 5, 2, 1], "every word, in one message (\(name))")
            XCTAssertEqual(ids(try find(store, "\"invoice failed\"")), [6, 5, 1], "a phrase, in order (\(name))")
            XCTAssertEqual(ids(try find(store, "print*")), [2, 1], name)
            XCTAssertEqual(ids(try find(store, "ticket 4711")), [3], "a conversion's ticket number (\(name))")
            XCTAssertEqual(ids(try find(store, "acme corporation")), [5, 4, 3, 2, 1], "organization name (\(name))")
            XCTAssertEqual(ids(try find(store, "united")), [6], "organization name, accents folded (\(name))")
            XCTAssertEqual(ids(try find(store, "c3@example.com")), [3], "customer email (\(name))")
            XCTAssertEqual(ids(try find(store, "example")), [6, 5, 4, 3, 2, 1], "an email's words (\(name))")
            let hit = try XCTUnwrap(try find(store, "brûlée").hits.last, name)
            XCTAssertEqual(hit.summary.record.id, 1, name)
            XCTAssertEqual(hit.seq, 2, name)
            XCTAssertEqual(hit.summary.lastSeq, 3, name)
            XCTAssertEqual(hit.summary.messageCount, 2, name)
            XCTAssertEqual(hit.snippet, [SnippetPart(text: "Crème ", hit: false), SnippetPart(text: "brûlée", hit: true),
                                         SnippetPart(text: " recipe", hit: false)], name)
            XCTAssertEqual(try find(store, "globex").hits.first?.seq, 2, "the newest matching event (\(name))")
            XCTAssertEqual(try find(store, "corporation").hits.first?.seq, 0, "the header (\(name))")
            XCTAssertEqual(try find(store, "corporation").hits.first?.snippet.first(where: \.hit)?.text, "Corporation", name)
        }
    }

    func testFiltersAndAnAgentsOwnChats() throws {
        try forEachBackend { store, name in
            try fill(store)
            XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(organizationID: "acme"))), [5, 4, 2, 1], name)
            XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(contactID: "c2"))), [2], name)
            XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(from: Fixture.at(2), to: Fixture.at(5)))),
                           [4, 2], name)
            XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(agentID: 7))), [4, 2],
                           "an agent finds only chats they handled (\(name))")
            XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(agentID: 9))), [], name)
            XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(state: .queued))), [6, 5, 4, 2, 1], name)
        }
    }

    func testPagesFollowTheirCursorAndStayStableWhileNewChatsArrive() throws {
        try forEachBackend { store, name in
            try fill(store)
            let first = try find(store, "invoice", filter: TranscriptFilter(limit: 2))
            XCTAssertEqual(ids(first), [6, 5], name)
            XCTAssertEqual(first.total, 5, name)
            XCTAssertTrue(first.totalIsExact, name)
            XCTAssertEqual(first.nextCursor, 5, name)
            try seed([.createSession(Fixture.session(7, contact: "c7", createdAt: 7)),
                      .appendEvent(Fixture.message(7, seq: 1, text: "invoice broken"))], to: store)
            let second = try find(store, "invoice", filter: TranscriptFilter(limit: 2), before: first.nextCursor)
            XCTAssertEqual(ids(second), [4, 2], name)
            XCTAssertEqual(second.nextCursor, 2, name)
            let third = try find(store, "invoice", filter: TranscriptFilter(limit: 2), before: second.nextCursor)
            XCTAssertEqual(ids(third), [1], name)
            XCTAssertNil(third.nextCursor, name)
            XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(limit: 2))), [7, 6],
                           "searchable once committed (\(name))")
        }
    }

    func testNothingTypedIsQuerySyntax() throws {
        try forEachBackend { store, name in
            try fill(store)
            for text in ["AND", "invoice OR", "NOT invoice", "\"unclosed invoice", "invoice - failed", "col:invoice",
                         "NEAR(invoice failed)", "inv*ice", "(((", "invoice\"\"failed", "^invoice", "*", "invoice & !failed",
                         "a:* | b", "'quoted'", "o'neil", "back\\slash", "<->", "failed:A"] {
                if let query = SearchQuery(text) {
                    XCTAssertNoThrow(try store.search(TranscriptSearch(query: query)), "\(text) (\(name))")
                }
            }
            XCTAssertEqual(ids(try find(store, "\"unclosed invoice")), [], name)
            XCTAssertEqual(ids(try find(store, "NOT invoice")).count, 0, "NOT is a word (\(name))")
            XCTAssertEqual(ids(try find(store, "invoice & !failed")), [6, 5, 2, 1], "& and ! are not operators (\(name))")
        }
    }

    func testQueriesAreQuotedLexemes() {
        XCTAssertEqual(SearchQuery("brûlée* \"Invoice  Failed\" o'neil")?.tsQuery,
                       "'brulee':* & ('invoice' <-> 'failed') & ('o' <-> 'neil')")
    }
}
