import Foundation
import XCTest
@testable import ChatCore

final class SLATargetTests: XCTestCase {
    let usa = CalendarFixture.usa
    let spain = CalendarFixture.spain

    private func severity(_ level: Int) -> SeverityLevel {
        SupportPolicy.defaultSeverities.first { $0.level == level }!
    }

    private func due(_ level: Int, _ start: Date, _ calendar: SupportCalendar? = nil) -> Date {
        FirstResponseTarget.due(severity: severity(level), from: start, calendar: calendar ?? usa)
    }

    func testSeverity1FromFridayAfternoonIsMondayMorning() {
        // 4 h: Friday 15:00-17:00, Monday 09:00-11:00.
        XCTAssertEqual(due(1, CalendarFixture.chicago(2026, 11, 20, 15)), CalendarFixture.utc("2026-11-23T17:00:00Z"))
        XCTAssertEqual(due(1, CalendarFixture.chicago(2026, 11, 18, 10)), CalendarFixture.chicago(2026, 11, 18, 14))
    }

    func testSeverity2AcrossThanksgiving() {
        // 8 h: Wednesday 10:00-17:00 (7 h), Thursday and Friday holidays, Monday 09:00-10:00.
        XCTAssertEqual(due(2, CalendarFixture.chicago(2026, 11, 25, 10)), CalendarFixture.utc("2026-11-30T16:00:00Z"))
    }

    func testSeverity3AcrossChristmas() {
        // 16 h: Wednesday Dec 23 13:00-17:00 (4 h), Dec 24-27 closed, Monday 28 (8 h), Tuesday 29 09:00-13:00.
        XCTAssertEqual(due(3, CalendarFixture.chicago(2026, 12, 23, 13)), CalendarFixture.utc("2026-12-29T19:00:00Z"))
    }

    func testSeverity4AcrossNewYear() {
        // 40 h from Monday Dec 28 09:00: Mon-Thu (32 h), Friday Jan 1 closed, Monday Jan 4 (8 h) -> at its close.
        XCTAssertEqual(due(4, CalendarFixture.chicago(2026, 12, 28, 9)), CalendarFixture.utc("2027-01-04T23:00:00Z"))
        // 40 h from Tuesday Dec 29 12:00: 5 + 8 + 8 = 21 h to Thursday, then Mon 4 (8), Tue 5 (8), Wed 6 09:00-12:00.
        XCTAssertEqual(due(4, CalendarFixture.chicago(2026, 12, 29, 12)), CalendarFixture.utc("2027-01-06T18:00:00Z"))
    }

    func testStartingOutsideHoursCountsFromTheNextOpening() {
        // Saturday -> Monday 09:00 + 4 h.
        XCTAssertEqual(due(1, CalendarFixture.chicago(2026, 11, 21, 10)), CalendarFixture.chicago(2026, 11, 23, 13))
        // Early Monday, and Friday evening.
        XCTAssertEqual(due(1, CalendarFixture.chicago(2026, 11, 23, 7)), CalendarFixture.chicago(2026, 11, 23, 13))
        XCTAssertEqual(due(2, CalendarFixture.chicago(2026, 11, 20, 20)), CalendarFixture.chicago(2026, 11, 23, 17))
        // On Thanksgiving itself.
        XCTAssertEqual(due(1, CalendarFixture.chicago(2026, 11, 26, 11)), CalendarFixture.chicago(2026, 11, 30, 13))
    }

    func testSpainAcrossItsDecemberHoliday() {
        // 8 h from Monday Dec 7 14:00 Madrid: 3 h Monday, Tuesday Dec 8 holiday, Wednesday 09:00-14:00.
        XCTAssertEqual(due(2, CalendarFixture.madrid(2026, 12, 7, 14), spain), CalendarFixture.utc("2026-12-09T13:00:00Z"))
    }

    func testAcrossDSTTheTargetIsInRealBusinessHours() {
        // Friday before the US spring change, 15:00 CST + 4 h -> Monday 11:00 CDT = 16:00 UTC.
        XCTAssertEqual(due(1, CalendarFixture.chicago(2026, 3, 6, 15)), CalendarFixture.utc("2026-03-09T16:00:00Z"))
        // Madrid fall-back: Friday Oct 23 15:00 CEST + 4 h -> Monday 11:00 CET = 10:00 UTC.
        XCTAssertEqual(due(1, CalendarFixture.madrid(2026, 10, 23, 15), spain), CalendarFixture.utc("2026-10-26T10:00:00Z"))
    }

    func testMetBothWays() {
        let dueAt = due(1, CalendarFixture.chicago(2026, 11, 20, 15))
        XCTAssertTrue(FirstResponseTarget.met(due: dueAt, respondedAt: CalendarFixture.chicago(2026, 11, 20, 15, 5)))
        XCTAssertTrue(FirstResponseTarget.met(due: dueAt, respondedAt: dueAt), "on the due instant counts as met")
        XCTAssertFalse(FirstResponseTarget.met(due: dueAt, respondedAt: dueAt.addingTimeInterval(1)))
        XCTAssertFalse(FirstResponseTarget.met(due: dueAt, respondedAt: CalendarFixture.chicago(2026, 11, 24, 9)))
    }

    func testCustomFractionalTarget() {
        let quick = SeverityLevel(level: 9, name: "Quick", description: "", firstResponseBusinessHours: 0.25)
        XCTAssertEqual(FirstResponseTarget.due(severity: quick, from: CalendarFixture.chicago(2026, 11, 20, 16, 50), calendar: usa),
                       CalendarFixture.chicago(2026, 11, 23, 9, 5))
    }
}
