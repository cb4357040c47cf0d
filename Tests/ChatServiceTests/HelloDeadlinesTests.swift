import Foundation
import XCTest
@testable import ChatService

final class HelloDeadlinesTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func testExpiresInOrderAtTheDeadline() {
        var deadlines = HelloDeadlines()
        XCTAssertNil(deadlines.nextDeadline)
        deadlines.add(1, deadline: t0 + 10)
        deadlines.add(2, deadline: t0 + 10)
        deadlines.add(3, deadline: t0 + 11)
        XCTAssertEqual(deadlines.nextDeadline, t0 + 10)
        XCTAssertEqual(deadlines.expired(now: t0 + 9.999), [])
        XCTAssertEqual(deadlines.expired(now: t0 + 10), [1, 2])
        XCTAssertEqual(deadlines.nextDeadline, t0 + 11)
        XCTAssertEqual(deadlines.expired(now: t0 + 60), [3])
        XCTAssertNil(deadlines.nextDeadline)
        XCTAssertEqual(deadlines.count, 0)
    }

    func testStorageIsReclaimedAsDeadlinesPass() {
        var deadlines = HelloDeadlines()
        for i in 0..<10_000 {
            deadlines.add(UInt64(i), deadline: t0 + Double(i))
            _ = deadlines.expired(now: t0 + Double(i) - 5)
            XCTAssertLessThanOrEqual(deadlines.count, 6)
        }
        XCTAssertEqual(deadlines.expired(now: t0 + 20_000).count, 5)
    }
}
