import ChatCore
import GRDB
import XCTest
@testable import ChatStorage

/// CSAT ratings and the analytics figures, on a database whose answers are worked out by hand.
final class AnalyticsTests: StorageTestCase, AnalyticsFixture {
    /// 1: acme, joined after 60 s by Ann, she replies at 90 s, closed at 600 s, rated 5.
    /// 2: acme eDocBuilder, an hour later, Bob joins after 120 s, replies at 200 s, converted, closed at 900 s, rated 3.
    /// 3: globex, a day later, Ann joins after 30 s, never writes, closed at 300 s.
    /// 4: globex, a day and a minute later, still queued.
    func makeStore() throws -> ChatStore {
        let store = try super.makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        try store.createOrganization(id: "globex", name: "Globex", planID: "hv")
        let day = 86_400.0
        commit([
            session(1, org: "acme", created: 0, state: .closed, agent: ann, closed: 600),
            event(1, 1, 0, .requested), event(1, 2, 60, .joined, agent: ann), event(1, 3, 90, .message, byAgent: ann),
            event(1, 4, 600, .closed),
            session(2, org: "acme", product: "edocbuilder", created: 3600, state: .closed, agent: bob, closed: 4500, ticket: 1),
            event(2, 1, 3600, .requested), event(2, 2, 3720, .joined, agent: bob), event(2, 3, 3800, .message, byAgent: bob),
            event(2, 4, 4490, .converted, byAgent: bob, ticket: 1), event(2, 5, 4500, .closed),
            session(3, org: "globex", created: day, state: .closed, agent: ann, closed: day + 300),
            event(3, 1, day, .requested), event(3, 2, day + 30, .joined, agent: ann), event(3, 3, day + 300, .closed),
            session(4, org: "globex", created: day + 60, state: .queued, agent: nil),
            event(4, 1, day + 60, .requested),
        ], to: store)
        try store.indexAllEvents()
        for (id, stars) in [(1, 5), (2, 3)] as [(SessionID, Int)] {
            XCTAssertEqual(try store.rate(sessionID: id, organizationID: "acme", contactID: "c\(id)", rating: stars,
                                          comment: nil, at: Fixture.at(5000), changeWindowSeconds: 600),
                           .stored(ChatRating(rating: stars, comment: nil, ratedAt: Fixture.at(5000))))
        }
        // Tickets: one answered within its target, one after it, one not yet and still due, one not yet and overdue.
        try store.dbPool.write { db in
            for (number, due, responded) in [(1, 100.0, 50.0), (2, 100.0, 150.0), (3, 10_000.0, nil), (4, 100.0, nil)]
                as [(Int, Double, Double?)] {
                try db.execute(sql: """
                    INSERT INTO tickets (number, organization_id, contact_id, customer_name, customer_email, subject, product_id,
                                         category, severity, urgent, status, created_at, first_response_due,
                                         first_responded_at, description)
                    VALUES (?, 'acme', 'c1', 'C', 'c@x', 'S', 'pressero', 'incident', 2, 0, 'open', ?, ?, ?, 'd')
                    """, arguments: [number, Fixture.at(0).timeIntervalSince1970, Fixture.at(due).timeIntervalSince1970,
                                     responded.map { Fixture.at($0).timeIntervalSince1970 }])
            }
        }
        return store
    }

    func testEveryFigureOnKnownData() throws {
        let store = try makeStore()
        let report = try store.analytics(AnalyticsQuery(from: Fixture.at(-10), to: Fixture.at(3 * 86_400)),
                                         now: Fixture.at(1_000))
        XCTAssertEqual(report.chats, 4)
        XCTAssertEqual(report.ended, 3)
        XCTAssertEqual(report.converted, 1)
        let day0 = String(ISO8601DateFormatter().string(from: Fixture.t0).prefix(10))
        let day1 = String(ISO8601DateFormatter().string(from: Fixture.at(86_400)).prefix(10))
        XCTAssertEqual(report.chatsPerDay.map(\.day), [day0, day1])
        XCTAssertEqual(report.chatsPerDay.map(\.chats), [2, 2])
        let calendar = { () -> Calendar in var c = Calendar(identifier: .gregorian); c.timeZone = TimeZone(identifier: "UTC")!; return c }()
        let weekday = calendar.component(.weekday, from: Fixture.t0) - 1
        let hour = calendar.component(.hour, from: Fixture.t0)
        XCTAssertEqual(report.hourOfWeek[weekday][hour] + report.hourOfWeek[weekday][(hour + 1) % 24], 2)
        XCTAssertEqual(report.hourOfWeek.joined().reduce(0, +), 4)
        XCTAssertEqual(report.wait, DurationFigures(count: 3, p50: 60, p90: 120, mean: 70))
        XCTAssertEqual(report.firstReply, DurationFigures(count: 2, p50: 90, p90: 200, mean: 145))
        XCTAssertEqual(report.handle, DurationFigures(count: 3, p50: 540, p90: 780, mean: 530))
        XCTAssertEqual(report.csatAverage, 4)
        XCTAssertEqual(report.csatDistribution, [0, 0, 1, 0, 1])
        XCTAssertEqual([report.ticketFirstResponseMet, report.ticketFirstResponseMissed, report.ticketFirstResponsePending],
                       [1, 2, 1])
        XCTAssertEqual(report.perAgent, [
            AnalyticsBreakdown(key: "7", name: "Ann", chats: 2, converted: 0, meanWaitSeconds: 45, meanHandleSeconds: 405,
                               csatAverage: 5, csatCount: 1),
            AnalyticsBreakdown(key: "8", name: "Bob", chats: 1, converted: 1, meanWaitSeconds: 120, meanHandleSeconds: 780,
                               csatAverage: 3, csatCount: 1),
        ])
        XCTAssertEqual(report.perOrganization.map { "\($0.name)=\($0.chats)" }, ["Acme=2", "Globex=2"])
        XCTAssertEqual(report.perProduct.map { "\($0.key)=\($0.chats)" }, ["pressero=3", "edocbuilder=1"])
    }

    func testFiltersNarrowTheFigures() throws {
        let store = try makeStore()
        let range = (Fixture.at(-10), Fixture.at(3 * 86_400))
        XCTAssertEqual(try store.analytics(AnalyticsQuery(from: range.0, to: range.1, organizationID: "globex"),
                                           now: Fixture.at(0)).chats, 2)
        XCTAssertEqual(try store.analytics(AnalyticsQuery(from: range.0, to: range.1, productID: "edocbuilder"),
                                           now: Fixture.at(0)).converted, 1)
        let annOnly = try store.analytics(AnalyticsQuery(from: range.0, to: range.1, agentID: 7), now: Fixture.at(0))
        XCTAssertEqual(annOnly.chats, 2)
        XCTAssertEqual(annOnly.wait.p90, 60)
        XCTAssertEqual(try store.analytics(AnalyticsQuery(from: Fixture.at(86_000), to: range.1), now: Fixture.at(0)).chats, 2,
                       "the range is on creation time, half-open")
    }

    func testARatingIsForTheChatsCustomerOnceClosedAndChangeableOnlyWithinTheWindow() throws {
        let store = try makeStore()
        XCTAssertEqual(try store.rate(sessionID: 4, organizationID: "globex", contactID: "c4", rating: 5, comment: nil,
                                      at: Fixture.at(0), changeWindowSeconds: 600), .notClosed)
        XCTAssertEqual(try store.rate(sessionID: 3, organizationID: "globex", contactID: "c1", rating: 5, comment: nil,
                                      at: Fixture.at(0), changeWindowSeconds: 600), .notYours)
        XCTAssertEqual(try store.rate(sessionID: 99, organizationID: "globex", contactID: "c1", rating: 5, comment: nil,
                                      at: Fixture.at(0), changeWindowSeconds: 600), .notFound)
        // Chat 1 was rated 5 at 5,000 s: a change at 5,300 s is kept (with the first time), one at 5,700 s is not.
        XCTAssertEqual(try store.rate(sessionID: 1, organizationID: "acme", contactID: "c1", rating: 4, comment: "ok",
                                      at: Fixture.at(5300), changeWindowSeconds: 600),
                       .stored(ChatRating(rating: 4, comment: "ok", ratedAt: Fixture.at(5000))))
        XCTAssertEqual(try store.rate(sessionID: 1, organizationID: "acme", contactID: "c1", rating: 1, comment: "bad",
                                      at: Fixture.at(5700), changeWindowSeconds: 600),
                       .locked(ChatRating(rating: 4, comment: "ok", ratedAt: Fixture.at(5000))))
        XCTAssertEqual(try store.rating(sessionID: 1)?.rating, 4)
        XCTAssertNil(try store.rating(sessionID: 3))
    }
}
