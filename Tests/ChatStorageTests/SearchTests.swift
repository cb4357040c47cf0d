import ChatCore
import GRDB
import XCTest
@testable import ChatStorage

/// Full-text search (v10-search): what matches, in what order, how pages follow their cursor, and that nothing a
/// person types is FTS5 syntax.
final class SearchTests: StorageTestCase {
    /// Sessions 1...5 of "acme" (Acme Corporation) and 6 of "globex", each with a few messages; indexed.
    func makeSearchableStore() throws -> ChatStore {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme Corporation", planID: "business")
        try store.createOrganization(id: "globex", name: "Globex Ünited", planID: "business")
        let texts: [SessionID: [String]] = [
            1: ["Crème brûlée recipe", "The invoice failed to print"],
            2: ["Failed invoice, again", "printing problems"],
            3: ["Nothing relevant here"],
            4: ["INVOICE numbers are wrong", "brulee?"],
            5: ["hello", "the invoice failed"],
            6: ["invoice failed at Globex"],
        ]
        var writes: [StorageWrite] = []
        for id in SessionID(1)...6 {
            writes.append(.createSession(Fixture.session(id, org: id == 6 ? "globex" : "acme", contact: "c\(id)",
                                                         createdAt: Double(id))))
            writes.append(.appendEvent(SessionEvent(sessionID: id, seq: 1, at: Fixture.at(Double(id)), kind: .requested,
                                                    author: Participant(role: .customer, id: "c\(id)", name: "Ann"),
                                                    text: "Subject \(id)")))
            for (index, text) in texts[id, default: []].enumerated() {
                writes.append(.appendEvent(Fixture.message(id, seq: Seq(index + 2), text: text)))
            }
        }
        commit(writes, to: store)
        try store.indexAllEvents()
        try store.indexSearch()
        return store
    }

    func ids(_ page: SearchPage) -> [SessionID] { page.hits.map(\.summary.record.id) }

    func find(_ store: ChatStore, _ text: String, filter: TranscriptFilter = TranscriptFilter(),
              before: SessionID? = nil) throws -> SearchPage {
        let query = try XCTUnwrap(SearchQuery(text), "query \(text)")
        return try store.search(TranscriptSearch(query: query, filter: filter, before: before))
    }

    func testAccentsCaseWordsPrefixesAndPhrases() throws {
        let store = try makeSearchableStore()
        XCTAssertEqual(ids(try find(store, "creme")), [1], "accents and case do not matter")
        XCTAssertEqual(ids(try find(store, "BRULEE")), [4, 1])
        XCTAssertEqual(ids(try find(store, "brul")), [], "a word matches whole words")
        XCTAssertEqual(ids(try find(store, "brul*")), [4, 1], "a trailing * matches a prefix")
        XCTAssertEqual(ids(try find(store, "invoice failed")), [6, 5, 2, 1], "every word, anywhere in one message")
        XCTAssertEqual(ids(try find(store, "\"invoice failed\"")), [6, 5, 1], "a phrase, in order")
        XCTAssertEqual(ids(try find(store, "print*")), [2, 1])
    }

    func testTheSessionHeaderIsSearchableAndTheSnippetMarksTheMatch() throws {
        let store = try makeSearchableStore()
        XCTAssertEqual(ids(try find(store, "acme corporation")), [5, 4, 3, 2, 1], "organization name")
        XCTAssertEqual(ids(try find(store, "united")), [6], "organization name, accents folded")
        XCTAssertEqual(ids(try find(store, "c3@example.com")), [3], "customer email")
        let hit = try XCTUnwrap(try find(store, "brûlée").hits.last)
        XCTAssertEqual(hit.summary.record.id, 1)
        XCTAssertEqual(hit.seq, 2)
        XCTAssertEqual(hit.snippet, [SnippetPart(text: "Crème ", hit: false), SnippetPart(text: "brûlée", hit: true),
                                     SnippetPart(text: " recipe", hit: false)])
        XCTAssertEqual(try find(store, "globex").hits.first?.seq, 2, "the newest matching event of the session")
    }

    func testFiltersCombineWithTheQuery() throws {
        let store = try makeSearchableStore()
        XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(organizationID: "acme"))), [5, 4, 2, 1])
        XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(contactID: "c2"))), [2])
        XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(from: Fixture.at(2), to: Fixture.at(5)))),
                       [4, 2])
        XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(agentID: 9))), [])
    }

    func testPagesFollowTheirCursorAndStayStableWhileNewChatsArrive() throws {
        let store = try makeSearchableStore()
        let first = try find(store, "invoice", filter: TranscriptFilter(limit: 2))
        XCTAssertEqual(ids(first), [6, 5])
        XCTAssertEqual(first.total, 5)
        XCTAssertTrue(first.totalIsExact)
        XCTAssertEqual(first.nextCursor, 5)
        // A new matching chat arrives: it goes to the top, and the next page after the cursor does not move.
        commit([.createSession(Fixture.session(7, contact: "c7", createdAt: 7)),
                .appendEvent(Fixture.message(7, seq: 1, text: "invoice broken"))], to: store)
        try store.indexAllEvents()
        try store.indexSearch()
        let second = try find(store, "invoice", filter: TranscriptFilter(limit: 2), before: first.nextCursor)
        XCTAssertEqual(ids(second), [4, 2])
        XCTAssertEqual(second.nextCursor, 2)
        let third = try find(store, "invoice", filter: TranscriptFilter(limit: 2), before: second.nextCursor)
        XCTAssertEqual(ids(third), [1])
        XCTAssertNil(third.nextCursor)
        XCTAssertEqual(ids(try find(store, "invoice", filter: TranscriptFilter(limit: 2))), [7, 6])
    }

    func testEventsAreSearchableOnceTheIndexerCaughtUp() throws {
        let store = try makeSearchableStore()
        commit([.appendEvent(Fixture.message(3, seq: 3, text: "zebra"))], to: store)
        XCTAssertEqual(ids(try find(store, "zebra")), [], "committed, not indexed yet")
        XCTAssertEqual(try store.indexSearch(), 1)
        XCTAssertEqual(ids(try find(store, "zebra")), [3])
        XCTAssertEqual(try store.indexSearch(), 0, "caught up")
    }

    /// The index file is derived data: deleted (or lost with a crash: it is never fsynced), it is rebuilt from the
    /// events, and a store reopened on a newer index keeps it.
    func testALostIndexFileIsRebuiltFromTheEvents() throws {
        let store = try makeSearchableStore()
        let path = store.search.path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let reopened = try makeStore()
        XCTAssertEqual(ids(try find(reopened, "invoice")), [], "an empty index until rebuilt")
        XCTAssertGreaterThan(try reopened.indexSearch(), 0)
        XCTAssertEqual(ids(try find(reopened, "invoice")), [6, 5, 4, 2, 1])
        XCTAssertEqual(try reopened.verify(), [])
    }

    func testNothingTypedIsQuerySyntax() throws {
        let store = try makeSearchableStore()
        for text in ["AND", "invoice OR", "NOT invoice", "\"unclosed invoice", "invoice - failed", "col:invoice",
                     "NEAR(invoice failed)", "inv*ice", "(((", "invoice\"\"failed", "^invoice", "*"] {
            if let query = SearchQuery(text) {
                XCTAssertNoThrow(try store.search(TranscriptSearch(query: query)), text)
            }
        }
        XCTAssertNil(SearchQuery("  -- ** ()  "), "no word at all")
        XCTAssertEqual(ids(try find(store, "\"unclosed invoice")), [], "an unclosed quote is a phrase to the end")
        XCTAssertEqual(ids(try find(store, "NOT invoice")).count, 0, "NOT is a word, not an operator")
        XCTAssertEqual(SearchQuery("brûlée* \"Invoice  Failed\"")?.matchExpression, "\"brulee\"* \"invoice failed\"")
    }
}
