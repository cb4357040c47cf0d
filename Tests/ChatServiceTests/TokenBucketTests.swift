import Foundation
import XCTest
@testable import ChatService

final class TokenBucketTests: XCTestCase {
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    func testBurstThenRefusalThenRefill() {
        var bucket = TokenBucket(ratePerSecond: 20, burst: 40, now: start)
        for index in 0..<40 {
            XCTAssertTrue(bucket.take(now: start), "message \(index) of the burst")
        }
        XCTAssertFalse(bucket.take(now: start))
        XCTAssertFalse(bucket.take(now: start + 0.04))         // 0.8 token: not yet
        XCTAssertTrue(bucket.take(now: start + 0.051))         // one token after 1/20 s (a hair over: Date math is floating point)
        XCTAssertFalse(bucket.take(now: start + 0.051))
        // Ten seconds idle refills only up to the burst.
        var allowed = 0
        while bucket.take(now: start + 10) { allowed += 1 }
        XCTAssertEqual(allowed, 40)
    }

    func testSustainedRateIsHonored() {
        var bucket = TokenBucket(ratePerSecond: 2, burst: 1, now: start)
        var allowed = 0
        // 100 attempts per second for 10 seconds: 1 from the bucket plus 2/s.
        for tick in 0..<1000 where bucket.take(now: start + Double(tick) / 100) { allowed += 1 }
        XCTAssertEqual(allowed, 1 + 19, accuracy: 1)
    }

    func testClockGoingBackwardsAddsNothing() {
        var bucket = TokenBucket(ratePerSecond: 1, burst: 1, now: start)
        XCTAssertTrue(bucket.take(now: start))
        XCTAssertFalse(bucket.take(now: start - 100))
        XCTAssertFalse(bucket.take(now: start + 0.5))
        XCTAssertTrue(bucket.take(now: start + 1))
    }
}
