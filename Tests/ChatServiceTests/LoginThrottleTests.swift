import Foundation
import XCTest
@testable import ChatService

final class LoginThrottleTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func throttle(address: Double = 5, username: Double = 3, window: Double = 60, maxEntries: Int = 1000) -> LoginThrottle {
        LoginThrottle(attemptsPerAddress: address, attemptsPerUsername: username, windowSeconds: window,
                      maxEntries: maxEntries)
    }

    func testUsernameAllowanceThenRefusalWithRetryAfter() {
        var t = throttle(username: 3, window: 60)
        for _ in 0..<3 { XCTAssertNil(t.attempt(address: "10.0.0.1", username: "ann", now: t0)) }
        let refusal = t.attempt(address: "10.0.0.2", username: "ANN", now: t0)
        // One attempt per 20 s comes back: 20 s to wait, and the username limit is the one that refused.
        XCTAssertEqual(refusal, LoginThrottle.Refusal(retryAfterSeconds: 20, limit: "username"))
        XCTAssertNil(t.attempt(address: "10.0.0.2", username: "bob", now: t0))
    }

    func testAddressAllowanceIsSharedAcrossUsernames() {
        var t = throttle(address: 2, username: 10, window: 10)
        XCTAssertNil(t.attempt(address: "10.0.0.1", username: "a", now: t0))
        XCTAssertNil(t.attempt(address: "10.0.0.1", username: "b", now: t0))
        XCTAssertEqual(t.attempt(address: "10.0.0.1", username: "c", now: t0)?.limit, "address")
        XCTAssertNil(t.attempt(address: "10.0.0.9", username: "c", now: t0))
    }

    func testRefusedAttemptsCostNothingAndTheAllowanceRefills() {
        var t = throttle(username: 2, window: 60)
        XCTAssertNil(t.attempt(address: "x", username: "ann", now: t0))
        XCTAssertNil(t.attempt(address: "x", username: "ann", now: t0))
        for second in 1...29 {
            XCTAssertNotNil(t.attempt(address: "x", username: "ann", now: t0 + Double(second)))
        }
        // 30 s later one attempt is back, whatever was refused meanwhile.
        XCTAssertNil(t.attempt(address: "x", username: "ann", now: t0 + 30))
        XCTAssertEqual(t.attempt(address: "x", username: "ann", now: t0 + 30)?.retryAfterSeconds, 30)
    }

    func testRetryAfterRoundsUpToWholeSeconds() {
        var t = throttle(username: 1, window: 7)
        XCTAssertNil(t.attempt(address: "x", username: "u", now: t0))
        XCTAssertEqual(t.attempt(address: "x", username: "u", now: t0 + 0.5)?.retryAfterSeconds, 7)
        XCTAssertEqual(t.attempt(address: "x", username: "u", now: t0 + 6.9)?.retryAfterSeconds, 1)
    }

    func testMemoryIsBoundedAndRefilledKeysGoFirst() {
        var t = throttle(address: 1, username: 1, window: 10, maxEntries: 100)
        for i in 0..<1000 {
            _ = t.attempt(address: "10.1.\(i / 256).\(i % 256)", username: "user\(i)", now: t0 + Double(i) * 0.001)
            XCTAssertLessThanOrEqual(t.entryCount, 100)
        }
    }

    func testRefilledKeysAreForgottenFirst() {
        var t = throttle(address: 1, username: 1, window: 10, maxEntries: 10)
        for i in 0..<5 { XCTAssertNil(t.attempt(address: "a\(i)", username: "u\(i)", now: t0)) }
        XCTAssertEqual(t.entryCount, 10)
        // Long after, every key has refilled: the next new key clears them all instead of evicting by age.
        XCTAssertNil(t.attempt(address: "late", username: "late", now: t0 + 3600))
        XCTAssertEqual(t.entryCount, 2)
    }

    func testEvictionNeverMakesAnActiveKeyStricter() {
        var t = throttle(address: 100, username: 1, window: 1000, maxEntries: 10)
        XCTAssertNil(t.attempt(address: "x", username: "victim", now: t0))
        for i in 0..<50 { _ = t.attempt(address: "x", username: "other\(i)", now: t0 + 1) }
        // "victim" may have been forgotten (then it is allowed again) but is never refused for longer.
        if let refusal = t.attempt(address: "x", username: "victim", now: t0 + 2) {
            XCTAssertLessThanOrEqual(refusal.retryAfterSeconds, 998)
        }
    }

    func testOverlongUsernamesShareOneBoundedKey() {
        var t = throttle(username: 1, window: 60)
        let long = String(repeating: "a", count: 100_000)
        XCTAssertNil(t.attempt(address: "x", username: long, now: t0))
        XCTAssertNotNil(t.attempt(address: "x", username: long + "b", now: t0))
    }
}
