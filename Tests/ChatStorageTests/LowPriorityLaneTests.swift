import Foundation
import XCTest
@testable import ChatStorage

/// The lane that runs the WAL copy at nice 19: the work runs on its thread at the raised nice value, each caller
/// gets its own result while several call at once, and after `stop()` the work runs on the caller.
final class LowPriorityLaneTests: XCTestCase {
    /// The calling thread's nice value (field 19 of /proc/thread-self/stat), nil where there is none.
    private static func currentNice() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name start with the state (field 3); nice is field 19.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }

    func testWorkRunsOnTheLaneAtTheRaisedNiceValueAndEachCallerGetsItsOwnResult() throws {
        let lane = LowPriorityLane(name: "test-lane", niceness: 19)
        defer { lane.stop() }
        let callerNice = Self.currentNice()
        let laneNice = lane.run { Self.currentNice() }
        #if os(Linux)
        XCTAssertEqual(laneNice, 19, "the lane thread's nice value")
        XCTAssertEqual(Self.currentNice(), callerNice, "the caller keeps its own")
        #endif
        let results = UnsafeMutableBufferPointer<Int>.allocate(capacity: 64)
        defer { results.deallocate() }
        nonisolated(unsafe) let shared = results
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            shared[i] = lane.run { () -> Int in
                var sum = 0
                for k in 0...(i * 100) { sum &+= k }
                return sum
            }
        }
        for i in 0..<64 { XCTAssertEqual(results[i], (i * 100) * (i * 100 + 1) / 2, "caller \(i)") }
    }

    func testAfterStopTheWorkRunsOnTheCaller() {
        let lane = LowPriorityLane(name: "test-lane", niceness: 19)
        XCTAssertEqual(lane.run { 1 + 1 }, 2)
        lane.stop()
        let caller = Thread.current
        XCTAssertTrue(lane.run { Thread.current === caller })
    }
}
