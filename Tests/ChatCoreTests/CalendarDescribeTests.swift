import Foundation
import XCTest
@testable import ChatCore

final class CalendarDescribeTests: XCTestCase {
    func testChicago() {
        XCTAssertEqual(SupportCalendar.describe(CalendarFixture.utc("2026-11-23T15:00:00Z"), inZone: "America/Chicago"),
                       "Monday, November 23 at 9:00 AM CST")
        XCTAssertEqual(SupportCalendar.describe(CalendarFixture.utc("2026-07-01T22:05:00Z"), inZone: "America/Chicago"),
                       "Wednesday, July 1 at 5:05 PM CDT")
        XCTAssertEqual(SupportCalendar.describe(CalendarFixture.chicago(2026, 3, 9, 0, 0), inZone: "America/Chicago"),
                       "Monday, March 9 at 12:00 AM CDT")
        XCTAssertEqual(SupportCalendar.describe(CalendarFixture.chicago(2027, 1, 4, 12, 30), inZone: "America/Chicago"),
                       "Monday, January 4 at 12:30 PM CST")
    }

    func testMadrid() {
        XCTAssertEqual(SupportCalendar.describe(CalendarFixture.utc("2026-11-23T15:00:00Z"), inZone: "Europe/Madrid"),
                       "Monday, November 23 at 4:00 PM GMT+1")
        XCTAssertEqual(SupportCalendar.describe(CalendarFixture.madrid(2026, 3, 30, 9), inZone: "Europe/Madrid"),
                       "Monday, March 30 at 9:00 AM GMT+2")
    }

    func testSameInstantInBothZonesAndUnknownZone() {
        let instant = CalendarFixture.utc("2026-12-31T23:30:00Z")
        XCTAssertEqual(SupportCalendar.describe(instant, inZone: "America/Chicago"), "Thursday, December 31 at 5:30 PM CST")
        XCTAssertEqual(SupportCalendar.describe(instant, inZone: "Europe/Madrid"), "Friday, January 1 at 12:30 AM GMT+1")
        XCTAssertEqual(SupportCalendar.describe(instant, inZone: "Not/AZone"), "Thursday, December 31 at 11:30 PM GMT")
    }

    func testDescribesTheOpeningAfterAHoliday() {
        let calendar = CalendarFixture.usa
        let opening = calendar.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 11, 25, 18))
        XCTAssertEqual(SupportCalendar.describe(opening, inZone: calendar.region.timeZone),
                       "Monday, November 30 at 9:00 AM CST")
    }
}
