import Foundation
import XCTest
@testable import ChatCore

final class CalendarValidationTests: XCTestCase {
    private let weekdays = WeeklyHours.weekdays(open: "09:00", close: "17:00")

    private func error(_ region: SupportRegion, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try SupportCalendar(region: region)
            XCTFail("accepted an invalid region", file: file, line: line)
            return nil
        } catch {
            return error.message
        }
    }

    private func error(hours: [WeeklyHours], file: StaticString = #filePath, line: UInt = #line) -> String? {
        error(CalendarFixture.region(hours), file: file, line: line)
    }

    private func error(holidays: [HolidayRule], file: StaticString = #filePath, line: UInt = #line) -> String? {
        error(CalendarFixture.region(weekdays, holidays: holidays), file: file, line: line)
    }

    func testShippedRegionsAreValid() throws {
        for region in SupportPolicy.defaultRegions {
            let calendar = try SupportCalendar(region: region)
            XCTAssertEqual(calendar.region, region)
            XCTAssertEqual(calendar.timeZone.identifier, region.timeZone)
        }
    }

    func testUnknownTimeZone() {
        XCTAssertEqual(error(CalendarFixture.region(weekdays, zone: "America/Springfield")),
                       "region \"test\": unknown time zone \"America/Springfield\" (expected an IANA name such as \"America/Chicago\")")
        XCTAssertNotNil(error(CalendarFixture.region(weekdays, zone: "")))
    }

    func testBadTimes() {
        XCTAssertEqual(error(hours: [WeeklyHours(weekday: 1, open: "9:00", close: "17:00")]),
                       "region \"test\" hours[0]: open \"9:00\" is not a time \"HH:mm\" from 00:00 to 23:59")
        XCTAssertEqual(error(hours: [WeeklyHours(weekday: 1, open: "09:00", close: "17:60")]),
                       "region \"test\" hours[0]: close \"17:60\" is not a time \"HH:mm\" from 00:00 to 24:00")
        for bad in ["24:00", "25:00", "09-00", "09:00:00", "", "ab:cd", " 9:00", "０９:００"] {
            XCTAssertNotNil(error(hours: [WeeklyHours(weekday: 1, open: bad, close: "23:00")]), "open \(bad)")
        }
        XCTAssertNotNil(error(hours: [WeeklyHours(weekday: 1, open: "09:00", close: "24:01")]))
    }

    func testCloseMustBeAfterOpen() {
        XCTAssertEqual(error(hours: [WeeklyHours(weekday: 2, open: "17:00", close: "09:00")]),
                       "region \"test\" hours[0]: close 09:00 must be after open 17:00")
        XCTAssertEqual(error(hours: weekdays + [WeeklyHours(weekday: 6, open: "10:00", close: "10:00")]),
                       "region \"test\" hours[5]: close 10:00 must be after open 10:00")
    }

    func testWeekdayRangeEmptyHoursAndOverlaps() {
        XCTAssertEqual(error(hours: [WeeklyHours(weekday: 0, open: "09:00", close: "17:00")]),
                       "region \"test\" hours[0]: weekday must be 1 (Monday) to 7 (Sunday), found 0")
        XCTAssertNotNil(error(hours: [WeeklyHours(weekday: 8, open: "09:00", close: "17:00")]))
        XCTAssertEqual(error(hours: []), "region \"test\": no opening hours (at least one weekday must have hours)")
        XCTAssertEqual(error(hours: [WeeklyHours(weekday: 3, open: "09:00", close: "13:00"),
                                     WeeklyHours(weekday: 3, open: "12:00", close: "17:00")]),
                       "region \"test\": opening intervals overlap on weekday 3")
    }

    func testUnknownRelativeTo() {
        XCTAssertEqual(error(holidays: [.relative("Black Friday", to: "Thanksgiving", offsetDays: 1)]),
                       "region \"test\" holiday \"Black Friday\": relativeTo names no holiday of the region: \"Thanksgiving\"")
    }

    func testCyclicRelativeRules() {
        XCTAssertEqual(error(holidays: [
            .fixed("Anchor", month: 1, day: 1),
            .relative("A", to: "B", offsetDays: 1),
            .relative("B", to: "C", offsetDays: 1),
            .relative("C", to: "A", offsetDays: 1),
        ]), "region \"test\": holiday rules are relative to each other in a cycle: \"A\" -> \"B\" -> \"C\" -> \"A\"")
        XCTAssertEqual(error(holidays: [.relative("Self", to: "Self", offsetDays: 1)]),
                       "region \"test\" holiday \"Self\": a holiday cannot be relative to itself")
        // A rule leading into a cycle it is not part of is reported with the cycle.
        XCTAssertEqual(error(holidays: [
            .relative("Lead", to: "X", offsetDays: 1),
            .relative("X", to: "Y", offsetDays: 1),
            .relative("Y", to: "X", offsetDays: 1),
        ]), "region \"test\": holiday rules are relative to each other in a cycle: \"X\" -> \"Y\" -> \"X\"")
    }

    func testMalformedHolidayRules() {
        XCTAssertEqual(error(holidays: [HolidayRule(name: "Nothing")]),
                       "region \"test\" holiday \"Nothing\": month must be 1...12 (or use relativeTo), found none")
        XCTAssertEqual(error(holidays: [.fixed("April 31", month: 4, day: 31)]),
                       "region \"test\" holiday \"April 31\": day 31 does not exist in month 4")
        XCTAssertEqual(error(holidays: [.nthWeekday("Zeroth", month: 5, weekday: 1, ordinal: 0)]),
                       "region \"test\" holiday \"Zeroth\": ordinal must be 1...5 or -1 (last), found 0")
        XCTAssertEqual(error(holidays: [HolidayRule(name: "Half", month: 5, weekday: 1)]),
                       "region \"test\" holiday \"Half\": needs day (fixed date) or weekday and ordinal (nth weekday)")
        XCTAssertEqual(error(holidays: [HolidayRule(name: "Both", month: 5, day: 1, weekday: 1, ordinal: 1)]),
                       "region \"test\" holiday \"Both\": give either day (fixed date) or weekday and ordinal, not both")
        XCTAssertEqual(error(holidays: [.fixed("A", month: 1, day: 1), .fixed("A", month: 2, day: 1)]),
                       "region \"test\": duplicate holiday name \"A\"")
        XCTAssertEqual(error(holidays: [.fixed("A", month: 1, day: 1),
                                        HolidayRule(name: "B", month: 1, relativeTo: "A", offsetDays: 1)]),
                       "region \"test\" holiday \"B\": a relative rule takes only relativeTo and offsetDays")
        XCTAssertEqual(error(holidays: [.fixed("A", month: 1, day: 1), HolidayRule(name: "B", relativeTo: "A")]),
                       "region \"test\" holiday \"B\": relativeTo \"A\" needs offsetDays")
        XCTAssertEqual(error(holidays: [HolidayRule(name: "C", month: 1, day: 1, offsetDays: 2)]),
                       "region \"test\" holiday \"C\": offsetDays is only for rules with relativeTo")
        XCTAssertNotNil(error(holidays: [.fixed("Thirteenth month", month: 13, day: 1)]))
        XCTAssertNotNil(error(holidays: [.fixed("Day zero", month: 1, day: 0)]))
        XCTAssertNotNil(error(holidays: [.nthWeekday("Weekday 8", month: 1, weekday: 8, ordinal: 1)]))
        XCTAssertNotNil(error(holidays: [.nthWeekday("Sixth", month: 1, weekday: 1, ordinal: 6)]))
        XCTAssertNotNil(error(holidays: [.fixed("A", month: 1, day: 1), .relative("Far", to: "A", offsetDays: 400)]))
        XCTAssertNotNil(error(holidays: [HolidayRule(name: "", month: 1, day: 1)]))
        // February 29 is a valid rule (it occurs in leap years).
        XCTAssertNoThrow(try SupportCalendar(region: CalendarFixture.region(weekdays, holidays: [.fixed("Leap", month: 2, day: 29)])))
    }

    func testErrorIsDescribedByItsMessage() {
        let error = CalendarError("region \"x\": something")
        XCTAssertEqual("\(error)", "region \"x\": something")
    }
}
