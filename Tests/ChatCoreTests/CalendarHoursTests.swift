import Foundation
import XCTest
@testable import ChatCore

/// Shared helpers for the Calendar*/SLA* tests: explicit instants, the shipped regions.
enum CalendarFixture {
    static let usa = try! SupportCalendar(region: SupportPolicy.defaultRegions.first { $0.id == "usa" }!)
    static let spain = try! SupportCalendar(region: SupportPolicy.defaultRegions.first { $0.id == "spain" }!)

    /// An instant from an ISO 8601 string with an explicit offset or Z, e.g. "2026-03-09T14:00:00Z".
    static func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: text) else { fatalError("bad ISO instant \(text)") }
        return date
    }

    /// Local wall time in `zone`, built with DateComponents in that zone.
    static func local(_ zone: String, _ year: Int, _ month: Int, _ day: Int,
                      _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        return calendar.date(from: DateComponents(year: year, month: month, day: day,
                                                  hour: hour, minute: minute, second: second))!
    }

    static func chicago(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
        local("America/Chicago", year, month, day, hour, minute, second)
    }

    static func madrid(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
        local("Europe/Madrid", year, month, day, hour, minute, second)
    }

    static func region(_ hours: [WeeklyHours], holidays: [HolidayRule] = [],
                       zone: String = "America/Chicago") -> SupportRegion {
        SupportRegion(id: "test", name: "Test", timeZone: zone, hours: hours, holidays: holidays)
    }
}

final class CalendarHoursTests: XCTestCase {
    let usa = CalendarFixture.usa
    let spain = CalendarFixture.spain

    func testHelpersBuildTheExpectedInstants() {
        XCTAssertEqual(CalendarFixture.chicago(2026, 11, 18, 9), CalendarFixture.utc("2026-11-18T15:00:00Z"))
        XCTAssertEqual(CalendarFixture.madrid(2026, 7, 1, 9), CalendarFixture.utc("2026-07-01T07:00:00Z"))
    }

    func testOpenAndCloseBoundariesOnAWednesdayInChicago() {
        // Wednesday November 18 2026.
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 18, 8, 59, 59)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 18, 9, 0, 0)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 18, 16, 59, 59)))
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 18, 17, 0, 0)))
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 18, 0, 0, 0)))
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 18, 23, 59, 59)))
        // The same instants read in UTC.
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.utc("2026-11-18T15:00:00Z")))
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.utc("2026-11-18T14:59:59Z")))
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.utc("2026-11-18T23:00:00Z")))
    }

    func testWeekendsAreClosed() {
        for hour in [0, 9, 12, 16, 23] {
            XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 21, hour)), "Saturday \(hour):00")
            XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 22, hour)), "Sunday \(hour):00")
            XCTAssertFalse(spain.isOpen(at: CalendarFixture.madrid(2026, 11, 21, hour)), "Saturday \(hour):00")
            XCTAssertFalse(spain.isOpen(at: CalendarFixture.madrid(2026, 11, 22, hour)), "Sunday \(hour):00")
        }
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 20, 12)), "Friday")
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 23, 12)), "Monday")
    }

    func testMadridUsesItsOwnZone() {
        // 09:00 Madrid (CET) is 08:00 UTC and 02:00 in Chicago: Spain open, USA closed.
        let instant = CalendarFixture.utc("2026-11-18T08:00:00Z")
        XCTAssertTrue(spain.isOpen(at: instant))
        XCTAssertFalse(usa.isOpen(at: instant))
        XCTAssertFalse(spain.isOpen(at: CalendarFixture.utc("2026-11-18T07:59:59Z")))
        XCTAssertFalse(spain.isOpen(at: CalendarFixture.utc("2026-11-18T16:00:00Z")))
    }

    // MARK: nextOpening / closing

    func testNextOpeningIsTheInstantItselfWhenOpen() {
        let opening = CalendarFixture.chicago(2026, 11, 18, 9)
        XCTAssertEqual(usa.nextOpening(atOrAfter: opening), opening)
        let midday = CalendarFixture.chicago(2026, 11, 18, 12, 34, 56)
        XCTAssertEqual(usa.nextOpening(atOrAfter: midday), midday)
    }

    func testNextOpeningSameDayBeforeHours() {
        XCTAssertEqual(usa.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 11, 18, 6, 15)),
                       CalendarFixture.utc("2026-11-18T15:00:00Z"))
    }

    func testNextOpeningFromFridayCloseIsMonday() {
        XCTAssertEqual(usa.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 11, 20, 17)),
                       CalendarFixture.utc("2026-11-23T15:00:00Z"))
        XCTAssertEqual(usa.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 11, 21, 11)),
                       CalendarFixture.chicago(2026, 11, 23, 9))
    }

    func testNextOpeningSkipsThanksgivingAndTheFridayAfter() {
        XCTAssertEqual(usa.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 11, 25, 18)),
                       CalendarFixture.utc("2026-11-30T15:00:00Z"))
    }

    func testNextOpeningSkipsChristmasEveAndChristmasDay() {
        XCTAssertEqual(usa.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 12, 23, 17, 30)),
                       CalendarFixture.utc("2026-12-28T15:00:00Z"))
    }

    func testNextOpeningAcrossYearEndAndNewYearsDay() {
        // Thursday Dec 31 2026 at closing; Friday Jan 1 2027 is New Year's Day.
        XCTAssertEqual(usa.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 12, 31, 17)),
                       CalendarFixture.utc("2027-01-04T15:00:00Z"))
    }

    func testClosingWhenOpenAndNilWhenClosed() {
        XCTAssertEqual(usa.closing(after: CalendarFixture.chicago(2026, 11, 18, 9)),
                       CalendarFixture.utc("2026-11-18T23:00:00Z"))
        XCTAssertEqual(usa.closing(after: CalendarFixture.chicago(2026, 11, 18, 16, 59, 59)),
                       CalendarFixture.chicago(2026, 11, 18, 17))
        XCTAssertNil(usa.closing(after: CalendarFixture.chicago(2026, 11, 18, 17)))
        XCTAssertNil(usa.closing(after: CalendarFixture.chicago(2026, 11, 21, 12)))
        XCTAssertNil(usa.closing(after: CalendarFixture.chicago(2026, 11, 26, 12)), "Thanksgiving")
        XCTAssertEqual(spain.closing(after: CalendarFixture.madrid(2026, 7, 1, 10)),
                       CalendarFixture.utc("2026-07-01T15:00:00Z"))
    }

    // MARK: DST

    func testUSSpringForwardWeekend() {
        // Sunday March 8 2026, 02:00 CST -> 03:00 CDT.
        XCTAssertEqual(usa.closing(after: CalendarFixture.chicago(2026, 3, 6, 12)),
                       CalendarFixture.utc("2026-03-06T23:00:00Z"))
        XCTAssertEqual(usa.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 3, 6, 17)),
                       CalendarFixture.utc("2026-03-09T14:00:00Z"))
        XCTAssertEqual(usa.closing(after: CalendarFixture.utc("2026-03-09T14:00:00Z")),
                       CalendarFixture.utc("2026-03-09T22:00:00Z"))
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.utc("2026-03-09T13:59:59Z")))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.utc("2026-03-09T21:59:59Z")))
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.utc("2026-03-09T22:00:00Z")))
        // Friday 09:00 to Tuesday 00:00 local: Friday and Monday, 8 h each.
        XCTAssertEqual(usa.businessTime(from: CalendarFixture.chicago(2026, 3, 6, 9),
                                        to: CalendarFixture.chicago(2026, 3, 10)), 16 * 3600)
        // The Monday alone is 8 real hours.
        XCTAssertEqual(usa.businessTime(from: CalendarFixture.utc("2026-03-09T00:00:00Z"),
                                        to: CalendarFixture.utc("2026-03-10T00:00:00Z")), 8 * 3600)
    }

    func testUSFallBackWeekend() {
        // Sunday November 1 2026, 02:00 CDT -> 01:00 CST.
        XCTAssertEqual(usa.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 10, 30, 17)),
                       CalendarFixture.utc("2026-11-02T15:00:00Z"))
        XCTAssertEqual(usa.closing(after: CalendarFixture.chicago(2026, 10, 30, 9)),
                       CalendarFixture.utc("2026-10-30T22:00:00Z"))
        XCTAssertEqual(usa.closing(after: CalendarFixture.utc("2026-11-02T15:00:00Z")),
                       CalendarFixture.utc("2026-11-02T23:00:00Z"))
        XCTAssertEqual(usa.businessTime(from: CalendarFixture.chicago(2026, 10, 30, 9),
                                        to: CalendarFixture.chicago(2026, 11, 3)), 16 * 3600)
        XCTAssertEqual(usa.businessTime(from: CalendarFixture.chicago(2026, 10, 26),
                                        to: CalendarFixture.chicago(2026, 11, 7)), 10 * 8 * 3600)
    }

    func testMadridSpringForwardWeekend() {
        // Sunday March 29 2026, 02:00 CET -> 03:00 CEST.
        XCTAssertEqual(spain.closing(after: CalendarFixture.madrid(2026, 3, 27, 9)),
                       CalendarFixture.utc("2026-03-27T16:00:00Z"))
        XCTAssertEqual(spain.nextOpening(atOrAfter: CalendarFixture.madrid(2026, 3, 27, 17)),
                       CalendarFixture.utc("2026-03-30T07:00:00Z"))
        XCTAssertEqual(spain.closing(after: CalendarFixture.utc("2026-03-30T07:00:00Z")),
                       CalendarFixture.utc("2026-03-30T15:00:00Z"))
        XCTAssertEqual(spain.businessTime(from: CalendarFixture.madrid(2026, 3, 27, 9),
                                          to: CalendarFixture.madrid(2026, 3, 31)), 16 * 3600)
    }

    func testMadridFallBackWeekend() {
        // Sunday October 25 2026, 03:00 CEST -> 02:00 CET.
        XCTAssertEqual(spain.nextOpening(atOrAfter: CalendarFixture.madrid(2026, 10, 23, 17)),
                       CalendarFixture.utc("2026-10-26T08:00:00Z"))
        XCTAssertEqual(spain.closing(after: CalendarFixture.utc("2026-10-26T08:00:00Z")),
                       CalendarFixture.utc("2026-10-26T16:00:00Z"))
        XCTAssertEqual(spain.businessTime(from: CalendarFixture.madrid(2026, 10, 23, 9),
                                          to: CalendarFixture.madrid(2026, 10, 27)), 16 * 3600)
    }

    func testBusinessTimeAddsAcrossDSTInRealHours() {
        // 8 business hours from Friday 13:00 CST: 4 h Friday, 4 h Monday -> Monday 13:00 CDT = 18:00 UTC.
        XCTAssertEqual(usa.addingBusinessTime(8 * 3600, to: CalendarFixture.chicago(2026, 3, 6, 13)),
                       CalendarFixture.utc("2026-03-09T18:00:00Z"))
        XCTAssertEqual(spain.addingBusinessTime(8 * 3600, to: CalendarFixture.madrid(2026, 10, 23, 13)),
                       CalendarFixture.utc("2026-10-26T12:00:00Z"))
    }

    func testDSTSundayItselfWhenOpen() throws {
        // A region open around the clock on Sundays: the spring-forward Sunday has 23 hours, the fall-back 25.
        let allSunday = try SupportCalendar(region: CalendarFixture.region([
            WeeklyHours(weekday: 7, open: "00:00", close: "24:00"),
            WeeklyHours(weekday: 1, open: "09:00", close: "17:00"),
        ]))
        XCTAssertEqual(allSunday.businessTime(from: CalendarFixture.chicago(2026, 3, 8),
                                              to: CalendarFixture.chicago(2026, 3, 9)), 23 * 3600)
        XCTAssertEqual(allSunday.businessTime(from: CalendarFixture.chicago(2026, 11, 1),
                                              to: CalendarFixture.chicago(2026, 11, 2)), 25 * 3600)
        XCTAssertEqual(allSunday.closing(after: CalendarFixture.chicago(2026, 3, 8, 12)),
                       CalendarFixture.utc("2026-03-09T05:00:00Z"))
        // A 09:00-17:00 Sunday on the change day is still 8 real hours.
        let sundays = try SupportCalendar(region: CalendarFixture.region([WeeklyHours(weekday: 7, open: "09:00", close: "17:00")]))
        XCTAssertEqual(sundays.nextOpening(atOrAfter: CalendarFixture.chicago(2026, 3, 7, 12)),
                       CalendarFixture.utc("2026-03-08T14:00:00Z"))
        XCTAssertEqual(sundays.businessTime(from: CalendarFixture.chicago(2026, 3, 8),
                                            to: CalendarFixture.chicago(2026, 3, 9)), 8 * 3600)
        XCTAssertEqual(sundays.businessTime(from: CalendarFixture.chicago(2026, 11, 1),
                                            to: CalendarFixture.chicago(2026, 11, 2)), 8 * 3600)
    }

    // MARK: businessTime / addingBusinessTime

    func testBusinessTimeBasics() {
        let wed9 = CalendarFixture.chicago(2026, 11, 18, 9)
        XCTAssertEqual(usa.businessTime(from: wed9, to: wed9), 0)
        XCTAssertEqual(usa.businessTime(from: CalendarFixture.chicago(2026, 11, 18, 17), to: wed9), 0, "reversed")
        XCTAssertEqual(usa.businessTime(from: CalendarFixture.chicago(2026, 11, 18, 7),
                                        to: CalendarFixture.chicago(2026, 11, 18, 10, 30)), 1.5 * 3600)
        XCTAssertEqual(usa.businessTime(from: CalendarFixture.chicago(2026, 11, 18, 16, 59, 59),
                                        to: CalendarFixture.chicago(2026, 11, 18, 17, 0, 1)), 1)
        // Thanksgiving week: Mon-Wed only.
        XCTAssertEqual(usa.businessTime(from: CalendarFixture.chicago(2026, 11, 22),
                                        to: CalendarFixture.chicago(2026, 11, 29)), 24 * 3600)
        // The whole of 2026 in the USA: 261 weekdays, 7 weekday holidays (Independence Day is a Saturday).
        XCTAssertEqual(usa.businessTime(from: CalendarFixture.chicago(2026, 1, 1),
                                        to: CalendarFixture.chicago(2027, 1, 1)), Double(261 - 7) * 8 * 3600)
    }

    func testAddingBusinessTimeIsTheInverseOfBusinessTime() {
        let starts = [CalendarFixture.chicago(2026, 11, 18, 9), CalendarFixture.chicago(2026, 11, 20, 15, 30),
                      CalendarFixture.chicago(2026, 12, 23, 16), CalendarFixture.chicago(2026, 3, 6, 10)]
        for start in starts {
            for hours in [0.5, 1, 4, 7.75, 8, 16, 40, 100] {
                let end = usa.addingBusinessTime(hours * 3600, to: start)
                XCTAssertEqual(usa.businessTime(from: start, to: end), hours * 3600, "\(start) + \(hours) h")
            }
        }
    }

    func testAddingZeroOrNegativeGivesTheNextOpening() {
        let saturday = CalendarFixture.chicago(2026, 11, 21, 10)
        XCTAssertEqual(usa.addingBusinessTime(0, to: saturday), CalendarFixture.chicago(2026, 11, 23, 9))
        XCTAssertEqual(usa.addingBusinessTime(-60, to: saturday), CalendarFixture.chicago(2026, 11, 23, 9))
        let open = CalendarFixture.chicago(2026, 11, 18, 10)
        XCTAssertEqual(usa.addingBusinessTime(0, to: open), open)
        XCTAssertEqual(usa.addingBusinessTime(.infinity, to: open), .distantFuture)
    }

    func testAddingEndsAtClosingTimeWhenExactlyUsedUp() {
        XCTAssertEqual(usa.addingBusinessTime(4 * 3600, to: CalendarFixture.chicago(2026, 11, 20, 13)),
                       CalendarFixture.chicago(2026, 11, 20, 17))
        XCTAssertEqual(usa.addingBusinessTime(4 * 3600 + 1, to: CalendarFixture.chicago(2026, 11, 20, 13)),
                       CalendarFixture.chicago(2026, 11, 23, 9, 0, 1))
    }

    // MARK: Several intervals per day, midnight close, no opening ever

    func testTwoIntervalsOnTheSameWeekday() throws {
        let lunch = try SupportCalendar(region: CalendarFixture.region([
            WeeklyHours(weekday: 3, open: "13:00", close: "17:00"),
            WeeklyHours(weekday: 3, open: "09:00", close: "12:00"),
        ]))
        let wed = { (h: Int, m: Int) in CalendarFixture.chicago(2026, 11, 18, h, m) }
        XCTAssertTrue(lunch.isOpen(at: wed(11, 59)))
        XCTAssertFalse(lunch.isOpen(at: wed(12, 30)))
        XCTAssertEqual(lunch.closing(after: wed(10, 0)), wed(12, 0))
        XCTAssertEqual(lunch.nextOpening(atOrAfter: wed(12, 30)), wed(13, 0))
        XCTAssertEqual(lunch.businessTime(from: wed(0, 0), to: wed(23, 0)), 7 * 3600)
        XCTAssertEqual(lunch.addingBusinessTime(4 * 3600, to: wed(10, 0)), wed(15, 0))
        XCTAssertEqual(lunch.nextOpening(atOrAfter: wed(17, 0)), CalendarFixture.chicago(2026, 11, 25, 9))
    }

    func testTouchingIntervalsAndMidnightCloseRunTogether() throws {
        let touching = try SupportCalendar(region: CalendarFixture.region([
            WeeklyHours(weekday: 3, open: "09:00", close: "12:00"),
            WeeklyHours(weekday: 3, open: "12:00", close: "17:00"),
        ]))
        XCTAssertEqual(touching.closing(after: CalendarFixture.chicago(2026, 11, 18, 10)),
                       CalendarFixture.chicago(2026, 11, 18, 17))
        let aroundTheClock = try SupportCalendar(region: CalendarFixture.region(
            WeeklyHours.weekdays(open: "00:00", close: "24:00"),
            holidays: [.fixed("Day off", month: 11, day: 19)]))
        XCTAssertTrue(aroundTheClock.isOpen(at: CalendarFixture.chicago(2026, 11, 18, 23, 59, 59)))
        XCTAssertEqual(aroundTheClock.closing(after: CalendarFixture.chicago(2026, 11, 16, 10)),
                       CalendarFixture.chicago(2026, 11, 19))
        XCTAssertEqual(aroundTheClock.closing(after: CalendarFixture.chicago(2026, 11, 20, 10)),
                       CalendarFixture.chicago(2026, 11, 21))
    }

    func testNoOpeningWithinTheSearchWindowIsDistantFuture() throws {
        // Mondays only, and every Monday of every month is a holiday.
        var rules: [HolidayRule] = []
        for month in 1...12 {
            for ordinal in 1...5 {
                rules.append(.nthWeekday("Monday \(ordinal) of \(month)", month: month, weekday: 1, ordinal: ordinal))
            }
        }
        let never = try SupportCalendar(region: CalendarFixture.region(
            [WeeklyHours(weekday: 1, open: "09:00", close: "17:00")], holidays: rules))
        let start = CalendarFixture.chicago(2026, 11, 18, 10)
        XCTAssertFalse(never.isOpen(at: CalendarFixture.chicago(2026, 11, 23, 10)))
        XCTAssertEqual(never.nextOpening(atOrAfter: start), .distantFuture)
        XCTAssertEqual(never.addingBusinessTime(3600, to: start), .distantFuture)
        XCTAssertNil(never.closing(after: start))
        XCTAssertEqual(never.businessTime(from: start, to: CalendarFixture.chicago(2027, 11, 18)), 0)
    }
}
