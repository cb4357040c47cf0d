import Foundation
import XCTest
@testable import ChatService

final class PasswordCheckQueueTests: XCTestCase {
    func testAbandonedCheckIsSkippedAndOthersRun() {
        let queue = PasswordCheckQueue(workers: 1, capacity: 10)
        queue.start()
        defer { queue.stop() }
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let ran = Ran()
        XCTAssertTrue(queue.submit(1) { started.signal(); gate.wait(); ran.add(1) })
        started.wait()                          // the only worker is busy with 1
        XCTAssertTrue(queue.submit(2) { ran.add(2) })
        XCTAssertTrue(queue.submit(3) { ran.add(3) })
        queue.abandon(2)
        let done = DispatchSemaphore(value: 0)
        XCTAssertTrue(queue.submit(4) { done.signal() })
        gate.signal()
        done.wait()
        XCTAssertEqual(ran.values, [1, 3])
        XCTAssertEqual(queue.skippedCount, 1)
    }

    func testFullQueueRefuses() {
        let queue = PasswordCheckQueue(workers: 1, capacity: 2)
        // Not started: nothing leaves the queue.
        XCTAssertTrue(queue.submit(1) {})
        XCTAssertTrue(queue.submit(2) {})
        XCTAssertFalse(queue.submit(3) {})
        queue.start()
        queue.stop()
    }

    func testAbandonAfterTheCheckRanLeavesNoMark() {
        let queue = PasswordCheckQueue(workers: 1, capacity: 10)
        queue.start()
        defer { queue.stop() }
        let done = DispatchSemaphore(value: 0)
        XCTAssertTrue(queue.submit(7) { done.signal() })
        done.wait()
        queue.abandon(7)                        // too late: the server then calls finished(7)
        queue.finished(7)
        let again = DispatchSemaphore(value: 0)
        let ran = Ran()
        XCTAssertTrue(queue.submit(7) { ran.add(7); again.signal() })
        again.wait()
        XCTAssertEqual(ran.values, [7])
    }
}

/// Records which jobs ran, from any thread.
final class Ran: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func add(_ value: Int) { lock.withLock { list.append(value) } }
    var values: [Int] { lock.withLock { list } }
}
