import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Analytics and ratings on every backend, on data whose answers are worked out by hand (as AnalyticsTests).
final class AnalyticsContractTests: StorageContractCase, AnalyticsFixture {
    /// 1: acme, Ann joins after 60 s, replies at 90 s, closed at 600 s, rated 5. 2: acme eDocBuilder, an hour
    /// later, Bob joins after 120 s, replies at 200 s, converted, closed at 900 s, rated 3. 3: globex, a day later,
    /// Ann joins after 30 s, never writes, closed at 300 s. 4: globex, still queued. Tickets: first response within
    /// its target, after it, not yet and still due, not yet and overdue.
    func fill(_ store: any StorageBackend) throws {
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv", regionID: nil, createdAt: Fixture.at(0))
        try store.createOrganization(id: "globex", name: "Globex", planID: "hv", regionID: nil, createdAt: Fixture.at(0))
        let day = 86_400.0
        try seed([
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
        for (id, stars) in [(1, 5), (2, 3)] as [(SessionID, Int)] {
            XCTAssertEqual(try store.rate(sessionID: id, organizationID: "acme", contactID: "c\(id)", rating: stars,
                                          comment: nil, at: Fixture.at(5000), changeWindowSeconds: 600),
                           .stored(ChatRating(rating: stars, comment: nil, ratedAt: Fixture.at(5000))), store.kind)
        }
        for (due, responded) in [(100.0, 50.0), (100.0, 150.0), (10_000.0, nil), (100.0, nil)] as [(Double, Double?)] {
            _ = try store.createTicket(TicketDraft(
                organizationID: "acme", customer: Fixture.customer(), subject: "S", productID: "pressero",
                category: .incident, severity: 2, createdAt: Fixture.at(0), firstResponseDue: Fixture.at(due),
                firstRespondedAt: responded.map(Fixture.at), description: "d",
                createdBy: Participant(role: .customer, id: "c1", name: "C")))
        }
    }

    func testEveryFigureOnKnownData() throws {
        try forEachBackend { store, name in
            try fill(store)
            let report = try store.analytics(AnalyticsQuery(from: Fixture.at(-10), to: Fixture.at(3 * 86_400)),
                                             now: Fixture.at(1_000))
            XCTAssertEqual([report.chats, report.ended, report.converted], [4, 3, 1], name)
            let day0 = String(ISO8601DateFormatter().string(from: Fixture.t0).prefix(10))
            let day1 = String(ISO8601DateFormatter().string(from: Fixture.at(86_400)).prefix(10))
            XCTAssertEqual(report.chatsPerDay.map(\.day), [day0, day1], name)
            XCTAssertEqual(report.chatsPerDay.map(\.chats), [2, 2], name)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let weekday = calendar.component(.weekday, from: Fixture.t0) - 1
            let hour = calendar.component(.hour, from: Fixture.t0)
            XCTAssertEqual(report.hourOfWeek[weekday][hour] + report.hourOfWeek[weekday][(hour + 1) % 24], 2, name)
            XCTAssertEqual(report.hourOfWeek.joined().reduce(0, +), 4, name)
            XCTAssertEqual(report.wait, DurationFigures(count: 3, p50: 60, p90: 120, mean: 70), name)
            XCTAssertEqual(report.firstReply, DurationFigures(count: 2, p50: 90, p90: 200, mean: 145), name)
            XCTAssertEqual(report.handle, DurationFigures(count: 3, p50: 540, p90: 780, mean: 530), name)
            XCTAssertEqual(report.csatAverage, 4, name)
            XCTAssertEqual(report.csatDistribution, [0, 0, 1, 0, 1], name)
            XCTAssertEqual([report.ticketFirstResponseMet, report.ticketFirstResponseMissed,
                            report.ticketFirstResponsePending], [1, 2, 1], name)
            XCTAssertEqual(report.perAgent, [
                AnalyticsBreakdown(key: "7", name: "Ann", chats: 2, converted: 0, meanWaitSeconds: 45,
                                   meanHandleSeconds: 405, csatAverage: 5, csatCount: 1),
                AnalyticsBreakdown(key: "8", name: "Bob", chats: 1, converted: 1, meanWaitSeconds: 120,
                                   meanHandleSeconds: 780, csatAverage: 3, csatCount: 1),
            ], name)
            XCTAssertEqual(report.perOrganization.map { "\($0.name)=\($0.chats)" }, ["Acme=2", "Globex=2"], name)
            XCTAssertEqual(report.perProduct.map { "\($0.key)=\($0.chats)" }, ["pressero=3", "edocbuilder=1"], name)

            let range = (Fixture.at(-10), Fixture.at(3 * 86_400))
            XCTAssertEqual(try store.analytics(AnalyticsQuery(from: range.0, to: range.1, organizationID: "globex"),
                                               now: Fixture.at(0)).chats, 2, name)
            XCTAssertEqual(try store.analytics(AnalyticsQuery(from: range.0, to: range.1, productID: "edocbuilder"),
                                               now: Fixture.at(0)).converted, 1, name)
            let annOnly = try store.analytics(AnalyticsQuery(from: range.0, to: range.1, agentID: 7), now: Fixture.at(0))
            XCTAssertEqual(annOnly.chats, 2, name)
            XCTAssertEqual(annOnly.wait.p90, 60, name)
            XCTAssertEqual(try store.analytics(AnalyticsQuery(from: Fixture.at(86_000), to: range.1),
                                               now: Fixture.at(0)).chats, 2, "half-open range (\(name))")
        }
    }

    func testARatingIsForTheChatsCustomerOnceClosedAndChangeableOnlyWithinTheWindow() throws {
        try forEachBackend { store, name in
            try fill(store)
            XCTAssertEqual(try store.rate(sessionID: 4, organizationID: "globex", contactID: "c4", rating: 5, comment: nil,
                                          at: Fixture.at(0), changeWindowSeconds: 600), .notClosed, name)
            XCTAssertEqual(try store.rate(sessionID: 3, organizationID: "globex", contactID: "c1", rating: 5, comment: nil,
                                          at: Fixture.at(0), changeWindowSeconds: 600), .notYours, name)
            XCTAssertEqual(try store.rate(sessionID: 99, organizationID: "globex", contactID: "c1", rating: 5, comment: nil,
                                          at: Fixture.at(0), changeWindowSeconds: 600), .notFound, name)
            XCTAssertEqual(try store.rate(sessionID: 1, organizationID: "acme", contactID: "c1", rating: 4, comment: "ok",
                                          at: Fixture.at(5300), changeWindowSeconds: 600),
                           .stored(ChatRating(rating: 4, comment: "ok", ratedAt: Fixture.at(5000))), name)
            XCTAssertEqual(try store.rate(sessionID: 1, organizationID: "acme", contactID: "c1", rating: 1, comment: "bad",
                                          at: Fixture.at(5700), changeWindowSeconds: 600),
                           .locked(ChatRating(rating: 4, comment: "ok", ratedAt: Fixture.at(5000))), name)
            XCTAssertEqual(try store.rating(sessionID: 1)?.rating, 4, name)
            XCTAssertNil(try store.rating(sessionID: 3), name)
        }
    }
}
