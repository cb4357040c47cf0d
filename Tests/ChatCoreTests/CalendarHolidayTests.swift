import Foundation
import XCTest
@testable import ChatCore

final class CalendarHolidayTests: XCTestCase {
    let usa = CalendarFixture.usa
    let spain = CalendarFixture.spain

    private func listing(_ calendar: SupportCalendar, _ year: Int) -> [String] {
        calendar.holidays(inYear: year).map { "\($0.month)/\($0.day) \($0.rule.name)" }
    }

    func testUSHolidayDates2026And2027() {
        XCTAssertEqual(listing(usa, 2026), [
            "1/1 New Year's Day", "5/25 Memorial Day", "7/4 Independence Day", "9/7 Labor Day",
            "11/26 Thanksgiving Day", "11/27 Friday after Thanksgiving", "12/24 Christmas Eve", "12/25 Christmas Day",
        ])
        XCTAssertEqual(listing(usa, 2027), [
            "1/1 New Year's Day", "5/31 Memorial Day", "7/4 Independence Day", "9/6 Labor Day",
            "11/25 Thanksgiving Day", "11/26 Friday after Thanksgiving", "12/24 Christmas Eve", "12/25 Christmas Day",
        ])
    }

    func testSpainHolidayDatesAreSortedByDate() {
        XCTAssertEqual(listing(spain, 2026), [
            "1/1 Año Nuevo", "1/6 Epifanía del Señor", "5/1 Fiesta del Trabajo", "8/15 Asunción de la Virgen",
            "10/12 Fiesta Nacional de España", "11/1 Todos los Santos", "12/6 Día de la Constitución",
            "12/8 Inmaculada Concepción", "12/25 Navidad",
        ])
    }

    /// Every default US holiday of 2026 and 2027 is closed all day; the weekday before and after, when not itself
    /// a holiday, is open.
    func testEveryUSHolidayIsClosedAllDayAndItsNeighboursOpen() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = usa.timeZone
        for year in [2026, 2027] {
            let holidays = usa.holidays(inYear: year)
            let dates = Set(holidays.map { "\($0.month)/\($0.day)" })
            for holiday in holidays {
                let name = "\(holiday.rule.name) \(year)"
                for (hour, minute) in [(0, 0), (9, 0), (12, 0), (16, 59)] {
                    let instant = CalendarFixture.chicago(year, holiday.month, holiday.day, hour, minute)
                    XCTAssertFalse(usa.isOpen(at: instant), "\(name) \(hour):\(minute)")
                    XCTAssertEqual(usa.holiday(on: instant), holiday.rule, name)
                }
                let dayStart = CalendarFixture.chicago(year, holiday.month, holiday.day)
                XCTAssertEqual(usa.businessTime(from: dayStart, to: calendar.date(byAdding: .day, value: 1, to: dayStart)!),
                               0, name)
                for offset in [-1, 1] {
                    let neighbour = calendar.date(byAdding: .day, value: offset, to: dayStart)!
                    let c = calendar.dateComponents([.year, .month, .day, .weekday], from: neighbour)
                    let isWeekday = (2...6).contains(c.weekday!)
                    let isHoliday = c.year == year && dates.contains("\(c.month!)/\(c.day!)")
                    guard isWeekday, !isHoliday, c.year == year else { continue }
                    let noon = CalendarFixture.chicago(c.year!, c.month!, c.day!, 12)
                    XCTAssertTrue(usa.isOpen(at: noon), "day \(offset) of \(name)")
                    XCTAssertNil(usa.holiday(on: noon))
                }
            }
        }
    }

    func testNamedUSHolidays() {
        // New Year's Day 2027 is a Friday: Thursday Dec 31 open, Friday closed, Monday Jan 4 open.
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 12, 31, 12)))
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2027, 1, 1, 12)))
        XCTAssertEqual(usa.holiday(on: CalendarFixture.chicago(2027, 1, 1, 12))?.name, "New Year's Day")
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2027, 1, 4, 9)))
        // Memorial Day 2026: Monday May 25 (last Monday); Friday 22 and Tuesday 26 open.
        XCTAssertEqual(usa.holiday(on: CalendarFixture.chicago(2026, 5, 25, 10))?.name, "Memorial Day")
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 5, 25, 10)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 5, 22, 10)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 5, 26, 10)))
        // Labor Day 2026: Monday Sep 7.
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 9, 7, 10)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 9, 8, 10)))
        // Thanksgiving 2026 (Thu Nov 26) and the Friday after; Wednesday 25 and Monday 30 open.
        XCTAssertEqual(usa.holiday(on: CalendarFixture.chicago(2026, 11, 26, 10))?.name, "Thanksgiving Day")
        XCTAssertEqual(usa.holiday(on: CalendarFixture.chicago(2026, 11, 27, 10))?.name, "Friday after Thanksgiving")
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 27, 10)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 25, 16, 59)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 11, 30, 9)))
        // Christmas Eve (Thu) and Christmas Day (Fri) 2026; Wednesday 23 open.
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 12, 24, 10)))
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 12, 25, 10)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 12, 23, 10)))
    }

    /// Independence Day 2026 is a Saturday: closed anyway. No observed-day shift is applied, so Friday July 3
    /// and Monday July 6 are ordinary open days.
    func testIndependenceDayOnSaturdayHasNoObservedDay() {
        XCTAssertEqual(usa.holiday(on: CalendarFixture.chicago(2026, 7, 4, 10))?.name, "Independence Day")
        XCTAssertFalse(usa.isOpen(at: CalendarFixture.chicago(2026, 7, 4, 10)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 7, 3, 10)))
        XCTAssertNil(usa.holiday(on: CalendarFixture.chicago(2026, 7, 3, 10)))
        XCTAssertTrue(usa.isOpen(at: CalendarFixture.chicago(2026, 7, 6, 10)))
        XCTAssertNil(usa.holiday(on: CalendarFixture.chicago(2026, 7, 6, 10)))
    }

    func testSpainHolidays() {
        // Inmaculada Concepción, Tuesday Dec 8 2026; Monday 7 and Wednesday 9 open.
        XCTAssertEqual(spain.holiday(on: CalendarFixture.madrid(2026, 12, 8, 10))?.name, "Inmaculada Concepción")
        XCTAssertFalse(spain.isOpen(at: CalendarFixture.madrid(2026, 12, 8, 10)))
        XCTAssertTrue(spain.isOpen(at: CalendarFixture.madrid(2026, 12, 7, 10)))
        XCTAssertTrue(spain.isOpen(at: CalendarFixture.madrid(2026, 12, 9, 10)))
        // Epifanía, Wednesday Jan 6 2027.
        XCTAssertEqual(spain.holiday(on: CalendarFixture.madrid(2027, 1, 6, 10))?.name, "Epifanía del Señor")
        XCTAssertFalse(spain.isOpen(at: CalendarFixture.madrid(2027, 1, 6, 10)))
        XCTAssertTrue(spain.isOpen(at: CalendarFixture.madrid(2027, 1, 5, 10)))
        XCTAssertTrue(spain.isOpen(at: CalendarFixture.madrid(2027, 1, 7, 10)))
        XCTAssertEqual(spain.nextOpening(atOrAfter: CalendarFixture.madrid(2026, 12, 7, 17)),
                       CalendarFixture.utc("2026-12-09T08:00:00Z"))
    }

    func testHolidayIsTheRegionsLocalDate() {
        // 05:30 UTC on Dec 25 is still Dec 24 (23:30) in Chicago, and already Dec 25 (06:30) in Madrid.
        let instant = CalendarFixture.utc("2026-12-25T05:30:00Z")
        XCTAssertEqual(usa.holiday(on: instant)?.name, "Christmas Eve")
        XCTAssertEqual(spain.holiday(on: instant)?.name, "Navidad")
        XCTAssertEqual(usa.holiday(on: CalendarFixture.utc("2026-12-26T05:59:59Z"))?.name, "Christmas Day")
        XCTAssertNil(usa.holiday(on: CalendarFixture.utc("2026-12-26T06:00:00Z")))
    }

    func testRelativeRulesChainAndCrossYearBoundaries() throws {
        let calendar = try SupportCalendar(region: CalendarFixture.region(WeeklyHours.weekdays(open: "09:00", close: "17:00"), holidays: [
            .relative("Day after New Year's Eve", to: "New Year's Eve", offsetDays: 1),
            .fixed("New Year's Eve", month: 12, day: 31),
            .relative("Eve of Epiphany eve", to: "Epiphany eve", offsetDays: -1),
            .relative("Epiphany eve", to: "New Year's Eve", offsetDays: 5),
            .relative("Day before first Monday", to: "First Monday", offsetDays: -1),
            .nthWeekday("First Monday", month: 1, weekday: 1, ordinal: 1),
        ]))
        // 2027: Jan 1 and Jan 4-5 come from the 2026 anchor; Jan 3 2027 (Sunday) precedes the first Monday.
        XCTAssertEqual(listing(calendar, 2027), [
            "1/1 Day after New Year's Eve", "1/3 Day before first Monday", "1/4 Eve of Epiphany eve",
            "1/4 First Monday", "1/5 Epiphany eve", "12/31 New Year's Eve",
        ])
        // 2026 (Jan 5 is the first Monday; Jan 4 the day before), plus last year's spill-over; same-day ties in policy order.
        XCTAssertEqual(listing(calendar, 2026), [
            "1/1 Day after New Year's Eve", "1/4 Eve of Epiphany eve", "1/4 Day before first Monday",
            "1/5 Epiphany eve", "1/5 First Monday", "12/31 New Year's Eve",
        ])
        XCTAssertEqual(calendar.holiday(on: CalendarFixture.chicago(2027, 1, 4, 12))?.name, "Eve of Epiphany eve",
                       "first rule in policy order when two fall on the same date")
    }

    func testRulesThatDoNotOccurSomeYears() throws {
        let calendar = try SupportCalendar(region: CalendarFixture.region(WeeklyHours.weekdays(open: "09:00", close: "17:00"), holidays: [
            .fixed("Leap day", month: 2, day: 29),
            .nthWeekday("Fifth Monday of February", month: 2, weekday: 1, ordinal: 5),
            .nthWeekday("Last Sunday of March", month: 3, weekday: 7, ordinal: -1),
        ]))
        XCTAssertEqual(listing(calendar, 2027), ["3/28 Last Sunday of March"])
        XCTAssertEqual(listing(calendar, 2028), ["2/29 Leap day", "3/26 Last Sunday of March"])
        // February 2044 has five Mondays (1, 8, 15, 22, 29) and a leap day on the fifth.
        XCTAssertEqual(listing(calendar, 2044), ["2/29 Leap day", "2/29 Fifth Monday of February", "3/27 Last Sunday of March"])
        XCTAssertFalse(calendar.isOpen(at: CalendarFixture.chicago(2028, 2, 29, 10)))
        XCTAssertTrue(calendar.isOpen(at: CalendarFixture.chicago(2027, 3, 1, 10)))
    }

    func testCivilDayArithmetic() {
        XCTAssertEqual(CivilDay(year: 1970, month: 1, day: 1).number, 0)
        XCTAssertEqual(CivilDay(year: 1970, month: 1, day: 1).isoWeekday, 4)
        XCTAssertEqual(CivilDay(year: 2026, month: 11, day: 26).isoWeekday, 4)
        XCTAssertEqual(CivilDay(year: 1969, month: 12, day: 31).number, -1)
        XCTAssertEqual(CivilDay(year: 1969, month: 12, day: 29).isoWeekday, 1)
        for number in stride(from: -800_000, to: 800_000, by: 997) {
            let c = CivilDay(number: number).components
            XCTAssertEqual(CivilDay(year: c.year, month: c.month, day: c.day).number, number)
        }
    }
}
