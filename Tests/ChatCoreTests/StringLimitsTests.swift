import XCTest
@testable import ChatCore

final class StringLimitsTests: XCTestCase {
    func testScalarLimitCountsScalarsNotBytes() {
        XCTAssertFalse("abc".exceedsScalars(3))
        XCTAssertTrue("abcd".exceedsScalars(3))
        XCTAssertFalse("ééé".exceedsScalars(3), "6 bytes, 3 scalars")
        XCTAssertFalse("🎉🎉".exceedsScalars(2), "8 bytes, 2 scalars")
        XCTAssertTrue("🎉🎉🎉".exceedsScalars(2))
        XCTAssertFalse("".exceedsScalars(0))
    }

    func testVisibleContentIgnoresEveryKindOfWhitespace() {
        XCTAssertFalse("".hasVisibleContent)
        XCTAssertFalse(" \n\t\r\u{00A0}\u{2003}".hasVisibleContent)
        XCTAssertTrue("  a  ".hasVisibleContent)
        XCTAssertTrue("🎉".hasVisibleContent)
    }
}
