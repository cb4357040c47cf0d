import Foundation
import XCTest
@testable import ChatCore

/// The protocol's one time format: written with milliseconds, read with or without fractional seconds.
final class ISOTimeTests: XCTestCase {
    func testFormatsWithMilliseconds() {
        XCTAssertEqual(ISOTime.format(Date(timeIntervalSince1970: 1_795_000_000)), "2026-11-18T11:06:40.000Z")
        XCTAssertEqual(ISOTime.format(Date(timeIntervalSince1970: -0.5)), "1969-12-31T23:59:59.500Z")
    }

    func testInstantsWithAndWithoutFractionalSeconds() {
        let base = Date(timeIntervalSince1970: 1_795_000_000)
        XCTAssertEqual(ISOTime.parseInstant("2026-11-18T11:06:40Z"), base)
        XCTAssertEqual(ISOTime.parseInstant("2026-11-18T11:06:40.250Z"), base.addingTimeInterval(0.25))
        XCTAssertEqual(ISOTime.parseInstant("2026-11-18T12:06:40+01:00"), base)
        XCTAssertEqual(ISOTime.parseInstant(ISOTime.format(base)), base)
        XCTAssertNil(ISOTime.parseInstant("2026-11-18"))              // a date is not an instant
        XCTAssertNil(ISOTime.parseInstant("2026-11-18T11:06:40"))     // no zone
    }

    func testImpossibleDatesAreRefusedNotRolledOver() {
        for text in ["2026-11-31", "2026-02-29", "2026-13-01", "2026-00-10", "2026-11-18T24:00:00Z",
                     "2026-11-18T07:60:00Z", "2026-11-31T10:00:00Z"] {
            XCTAssertNil(ISOTime.parse(text), text)
        }
        XCTAssertNotNil(ISOTime.parse("2028-02-29"))
        XCTAssertEqual(ISOTime.parse("1970-01-02"), Date(timeIntervalSince1970: 86_400))
    }
}

/// Regression of a crash found by fuzzing the HTTP query parser: ICU's date parser raised SIGFPE on a long
/// fraction. The strict parser reads at most 9 fractional digits and nothing it does not expect.
final class ISOTimeStrictnessTests: XCTestCase {
    func testALongFractionIsRefusedNotACrash() {
        XCTAssertNil(ISOTime.parse("2520-11-21T09:00:00.1299999999999999999999999999999999999999Z"))
        XCTAssertNil(ISOTime.parse("2520-11-21T09:00:00.1299999999999999999999999999999999"))
        XCTAssertEqual(ISOTime.parseInstant("2026-11-18T11:06:40.123456789Z")?.timeIntervalSince1970 ?? 0,
                       1_795_000_000.123456789, accuracy: 1e-6)
        XCTAssertNil(ISOTime.parseInstant("2026-11-18T11:06:40.1234567891Z"), "10 digits")
    }

    func testOnlyTheAcceptedFormsParse() {
        for text in ["", "2026", "2026-1-01", "2026-11-18T11:06Z", "2026-11-18T11:06:40.Z", "2026-11-18T11:06:40ZZ",
                     "2026-11-18 11:06:40Z", "+2026-11-18T11:06:40Z", "2026-11-18T11:06:40+0100", "0000-01-01",
                     "2026-11-18T11:06:40z", "٢٠٢٦-11-18"] {
            XCTAssertNil(ISOTime.parse(text), text)
        }
        XCTAssertEqual(ISOTime.parseInstant("2026-11-18T10:06:40-01:00"), Date(timeIntervalSince1970: 1_795_000_000))
        XCTAssertEqual(ISOTime.parse("0001-01-01")?.timeIntervalSince1970, -62_135_596_800)
        XCTAssertEqual(ISOTime.parse("9999-12-31")?.timeIntervalSince1970, 253_402_214_400)
    }
}
