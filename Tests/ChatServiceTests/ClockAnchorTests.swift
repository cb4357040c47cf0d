import ChatCore
import Foundation
import XCTest
@testable import ChatService

/// The demo clock continues across restarts (DATA/clock.json), with real instants injected.
final class ClockAnchorTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory() + "/data"   // created by the first anchor
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent)
    }

    func config(start: String? = "2026-11-21T18:00:00.250Z", speed: Double = 60) -> ServerConfig {
        var config = ServerConfig()
        config.dataDirectory = directory
        config.clockStart = start
        config.clockSpeed = speed
        return config
    }

    func anchored(_ resolution: ClockAnchor.Resolution) throws -> AcceleratedClock {
        try XCTUnwrap(resolution.clock as? AcceleratedClock)
    }

    func testRealTimeNeedsNoAnchor() throws {
        let resolution = try ClockAnchor.resolve(config(start: nil, speed: 1))
        XCTAssertTrue(resolution.clock is SystemClock)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/clock.json"))
    }

    func testARestartContinuesTheClock() throws {
        let real = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try anchored(ClockAnchor.resolve(config(), now: real))
        XCTAssertEqual(first.start, ISOTime.parseInstant("2026-11-21T18:00:00.250Z"))
        XCTAssertEqual(first.origin, real)

        // Ten real seconds later, at 60x: the restarted clock stands ten domain minutes on, not at clockStart.
        let restarted = try ClockAnchor.resolve(config(), now: real.addingTimeInterval(10))
        XCTAssertTrue(restarted.resumed)
        XCTAssertNil(restarted.warning)
        let second = try anchored(restarted)
        XCTAssertEqual(second.start, first.start)
        XCTAssertEqual(second.origin, first.origin)
    }

    func testChangedSettingsStartANewAnchorAndWarnWhenTheClockGoesBack() throws {
        let real = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try ClockAnchor.resolve(config(), now: real)
        let later = try ClockAnchor.resolve(config(start: "2026-12-01T00:00:00Z"), now: real.addingTimeInterval(5))
        XCTAssertFalse(later.resumed)
        XCTAssertNil(later.warning)                       // forward: nothing to warn about
        XCTAssertEqual(try anchored(later).start, ISOTime.parseInstant("2026-12-01T00:00:00Z"))

        let back = try ClockAnchor.resolve(config(start: "2026-11-01T00:00:00Z"), now: real.addingTimeInterval(6))
        XCTAssertFalse(back.resumed)
        XCTAssertTrue(back.warning?.contains("moves back") ?? false, "\(String(describing: back.warning))")

        let faster = try ClockAnchor.resolve(config(start: "2026-11-01T00:00:00Z", speed: 120), now: real.addingTimeInterval(7))
        XCTAssertFalse(faster.resumed)
    }

    func testAnUnreadableAnchorIsReplaced() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "not json".write(toFile: directory + "/clock.json", atomically: true, encoding: .utf8)
        let resolution = try ClockAnchor.resolve(config(), now: Date(timeIntervalSince1970: 1_800_000_000))
        XCTAssertFalse(resolution.resumed)
        XCTAssertEqual(try anchored(resolution).start, ISOTime.parseInstant("2026-11-21T18:00:00.250Z"))
    }
}
