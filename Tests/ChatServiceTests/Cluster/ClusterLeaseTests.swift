import ChatStorage
import Foundation
import XCTest

@testable import ChatService

/// ClusterLease against a real PostgreSQL (CHATD_TEST_POSTGRES_URL). Each test uses its own lease name.
/// Waits are bounded conditions, never assertions on how fast something happened.
final class ClusterLeaseTests: XCTestCase {
    private enum Event: Equatable, Sendable {
        case acquired(Int64)
        case lost
    }

    private var url = ""
    private var leaseName = ""
    private var leases: [ClusterLease] = []

    override func setUpWithError() throws {
        url = try ClusterTestServers.postgresURL()
        leaseName = "test.\(UUID().uuidString)"
        try PGConnection(url: url).execute(ClusterLease.createTableSQL)
    }

    override func tearDown() {
        for lease in leases { lease.stop(release: false) }
        leases = []
        _ = try? PGConnection(url: url).execute("DELETE FROM cluster_leases WHERE name = $1", [.text(leaseName)])
    }

    private func makeLease(holder: String, ttl: Double = 0.5, renew: Double = 0.1, reacquire: Bool = true,
                           events: Recorder<Event>) -> ClusterLease {
        let lease = ClusterLease(url: url, name: leaseName, holder: holder, ttlSeconds: ttl, renewSeconds: renew,
                                 reacquireAfterLoss: reacquire, logger: ClusterTestServers.logger,
                                 onAcquired: { events.record(.acquired($0)) }, onLost: { events.record(.lost) })
        leases.append(lease)
        return lease
    }

    private func row() throws -> (holder: String, generation: Int64, expiresIn: Double)? {
        try ClusterLease.current(connection: PGConnection(url: url), name: leaseName)
    }

    func testExactlyOneOfTwoHoldersAcquires() throws {
        let (a, b) = (Recorder<Event>(), Recorder<Event>())
        makeLease(holder: "node-a", events: a).start()
        makeLease(holder: "node-b", events: b).start()
        XCTAssertTrue(Recorder.waitEither(a, b) { !$0.isEmpty })
        // Several ttls of renewals later, still exactly one holder and no loss.
        Thread.sleep(forTimeInterval: 1.5)
        let all = a.events + b.events
        XCTAssertEqual(all, [.acquired(1)])
        let current = try XCTUnwrap(row())
        XCTAssertEqual(current.holder, a.events.isEmpty ? "node-b" : "node-a")
        XCTAssertEqual(current.generation, 1)
        XCTAssertGreaterThan(current.expiresIn, 0)
    }

    func testAHolderThatStopsRenewingIsReplacedAfterTheTTL() throws {
        let (a, b) = (Recorder<Event>(), Recorder<Event>())
        let first = makeLease(holder: "node-a", events: a)
        first.start()
        XCTAssertTrue(a.wait { $0 == [.acquired(1)] })
        let second = makeLease(holder: "node-b", events: b)
        second.start()
        first.stop(release: false)
        XCTAssertTrue(b.wait { $0 == [.acquired(2)] }, "b: \(b.events)")
        XCTAssertEqual(a.events, [.acquired(1)], "a deliberate stop reports no loss")
        XCTAssertEqual(try row()?.holder, "node-b")
        XCTAssertEqual(second.generation, 2)
    }

    func testReleaseHandsOverAtOnce() throws {
        // A ttl far beyond the wait: only the release can explain the handover.
        let (a, b) = (Recorder<Event>(), Recorder<Event>())
        let first = makeLease(holder: "node-a", ttl: 60, renew: 0.2, events: a)
        first.start()
        XCTAssertTrue(a.wait { $0 == [.acquired(1)] })
        makeLease(holder: "node-b", ttl: 60, renew: 0.2, events: b).start()
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(b.events, [], "b waits while a holds")
        first.stop(release: true)
        XCTAssertTrue(b.wait(timeout: 20) { $0 == [.acquired(2)] }, "b: \(b.events)")
    }

    func testARestartedHolderReacquiresWithAHigherGeneration() throws {
        let (before, after) = (Recorder<Event>(), Recorder<Event>())
        let first = makeLease(holder: "node-a", ttl: 60, renew: 0.2, events: before)
        first.start()
        XCTAssertTrue(before.wait { $0 == [.acquired(1)] })
        first.stop(release: false)  // a crash: the row still says node-a for a minute
        makeLease(holder: "node-a", ttl: 60, renew: 0.2, events: after).start()
        XCTAssertTrue(after.wait(timeout: 20) { $0 == [.acquired(2)] }, "after: \(after.events)")
    }

    func testLossIsReportedWhenTheRowIsStolen() throws {
        let events = Recorder<Event>()
        makeLease(holder: "node-a", events: events).start()
        XCTAssertTrue(events.wait { $0 == [.acquired(1)] })
        try PGConnection(url: url).execute("""
            UPDATE cluster_leases SET holder = 'thief', generation = generation + 1,
                expires_at = extract(epoch from clock_timestamp())::double precision + 3600 WHERE name = $1
            """, [.text(leaseName)])
        XCTAssertTrue(events.wait { $0 == [.acquired(1), .lost] }, "events: \(events.events)")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(events.events, [.acquired(1), .lost], "the thief's unexpired lease is not taken back")
    }

    func testLostLeaseIsRetakenWhenReacquireIsOn_AndNotWhenOff() throws {
        let (keeps, gives) = (Recorder<Event>(), Recorder<Event>())
        makeLease(holder: "node-a", events: keeps).start()
        XCTAssertTrue(keeps.wait { $0 == [.acquired(1)] })
        // Stolen with a short expiry: node-a gets it back once the thief's lease runs out.
        try PGConnection(url: url).execute("""
            UPDATE cluster_leases SET holder = 'thief', generation = generation + 1,
                expires_at = extract(epoch from clock_timestamp())::double precision + 0.3 WHERE name = $1
            """, [.text(leaseName)])
        XCTAssertTrue(keeps.wait { $0 == [.acquired(1), .lost, .acquired(3)] }, "events: \(keeps.events)")

        let other = "test.\(UUID().uuidString)"
        defer { _ = try? PGConnection(url: url).execute("DELETE FROM cluster_leases WHERE name = $1", [.text(other)]) }
        let lease = ClusterLease(url: url, name: other, holder: "node-b", ttlSeconds: 0.5, renewSeconds: 0.1,
                                 reacquireAfterLoss: false, logger: ClusterTestServers.logger,
                                 onAcquired: { gives.record(.acquired($0)) }, onLost: { gives.record(.lost) })
        leases.append(lease)
        lease.start()
        XCTAssertTrue(gives.wait { $0 == [.acquired(1)] })
        try PGConnection(url: url).execute("""
            UPDATE cluster_leases SET holder = 'thief',
                expires_at = extract(epoch from clock_timestamp())::double precision + 0.3 WHERE name = $1
            """, [.text(other)])
        XCTAssertTrue(gives.wait { $0 == [.acquired(1), .lost] })
        Thread.sleep(forTimeInterval: 1.0)
        XCTAssertEqual(gives.events, [.acquired(1), .lost], "no second try when told to stop after a loss")
    }

    func testSelfFencingWhenRenewalsGetNoAnswer() throws {
        let events = Recorder<Event>()
        makeLease(holder: "node-a", ttl: 0.5, renew: 0.1, events: events).start()
        XCTAssertTrue(events.wait { $0 == [.acquired(1)] })
        // Lock the row in an open transaction: the renewal UPDATE waits (up to its 2 s statement timeout), so
        // PostgreSQL answers nothing within the ttl.
        let blocker = try PGConnection(url: url)
        try blocker.execute("BEGIN")
        try blocker.execute("SELECT 1 FROM cluster_leases WHERE name = $1 FOR UPDATE", [.text(leaseName)])
        XCTAssertTrue(events.wait { $0 == [.acquired(1), .lost] }, "lost without an answer: \(events.events)")
        try blocker.execute("ROLLBACK")
        // Once PostgreSQL answers again, the same holder takes a new generation.
        XCTAssertTrue(events.wait { $0 == [.acquired(1), .lost, .acquired(2)] }, "events: \(events.events)")
    }

    func testCurrentIsNilForAnUnknownLease() throws {
        XCTAssertNil(try ClusterLease.current(connection: PGConnection(url: url), name: "never.\(UUID().uuidString)"))
    }

    func testConnectTimeoutIsAddedToTheURL() {
        XCTAssertEqual(ClusterLease.withConnectTimeout("postgresql://u@h:1/d"), "postgresql://u@h:1/d?connect_timeout=2")
        XCTAssertEqual(ClusterLease.withConnectTimeout("postgresql://u@h/d?sslmode=disable"),
                       "postgresql://u@h/d?sslmode=disable&connect_timeout=2")
        XCTAssertEqual(ClusterLease.withConnectTimeout("host=h dbname=d"), "host=h dbname=d connect_timeout=2")
        XCTAssertEqual(ClusterLease.withConnectTimeout("host=h connect_timeout=9"), "host=h connect_timeout=9")
    }
}

extension Recorder {
    /// Waits (bounded) until `predicate` holds for either recorder.
    static func waitEither(_ first: Recorder, _ second: Recorder, timeout: Double = 10,
                           until predicate: ([Event]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(first.events) || predicate(second.events) { return true }
            usleep(10_000)
        }
        return false
    }
}
