import ChatTransport
import Foundation
import XCTest

final class ServiceLoopTests: XCTestCase {
    func testWakeFromAnotherThreadReachesDelegateOnServiceThread() throws {
        let delegate = RecordingDelegate()
        let callingThreads = ResultBox<pthread_t>()
        delegate.onWake = { _ in callingThreads.append(pthread_self()) }
        let h = try ServerHarness(delegate: delegate)
        let server = h.server
        let before = h.delegate.events.count(of: .wake)
        Thread.detachNewThread { server.wake() }
        XCTAssertTrue(h.delegate.waitFor { $0.count(of: .wake) > before })
        // The event is recorded just before the hook runs: wait for the hook too.
        let wakes = h.delegate.events.count(of: .wake)
        XCTAssertTrue(callingThreads.waitFor { $0.count >= wakes })
        let serviceThread = try XCTUnwrap(h.serviceThread)
        XCTAssertFalse(callingThreads.values.isEmpty)
        XCTAssertTrue(callingThreads.values.allSatisfy { pthread_equal($0, serviceThread) != 0 })
    }

    func testManyWakesFromManyThreadsAreDeliveredAtLeastOnce() throws {
        let h = try ServerHarness()
        let server = h.server
        let group = DispatchGroup()
        for _ in 0..<8 {
            group.enter()
            Thread.detachNewThread {
                for _ in 0..<200 { server.wake() }
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        // A wake issued after all others must still be observed (coalescing never loses the last one).
        let seen = h.delegate.events.count(of: .wake)
        server.wake()
        XCTAssertTrue(h.delegate.waitFor { $0.count(of: .wake) > seen })
    }

    func testScheduledTimerFiresAndRescheduleReplacesIt() throws {
        let delegate = RecordingDelegate()
        delegate.onWake = { server in
            server.scheduleTimer(after: 3600)  // replaced at once by the next line
            server.scheduleTimer(after: 0.01)
        }
        let fired = ResultBox<Int>()
        delegate.onTimer = { server in
            fired.append(1)
            if fired.values.count == 1 { server.scheduleTimer(after: 0) }  // one-shot: re-arm explicitly
        }
        let h = try ServerHarness(delegate: delegate)
        h.server.wake()
        XCTAssertTrue(fired.waitFor { $0.count >= 2 })
    }

    func testRequestStopClosesClientsWith1001AndRunReturns() throws {
        let delegate = RecordingDelegate()
        delegate.onText = { server, id, bytes in _ = server.send(bytes, to: id) }
        let h = try ServerHarness(delegate: delegate)
        let a = try RawWebSocketClient(port: h.port)
        let b = try RawWebSocketClient(port: h.port)
        a.sendText("queued before stop")
        XCTAssertEqual(try a.readMessage(), .text("queued before stop"))
        XCTAssertTrue(h.delegate.waitFor { $0.openedIDs.count == 2 })

        let server = h.server
        Thread.detachNewThread { server.requestStop() }  // e.g. the SIGTERM-handling thread
        XCTAssertEqual(try a.readUntilClose().code, 1001)
        let closeB = try b.readUntilClose()
        XCTAssertEqual(closeB.code, 1001)
        XCTAssertEqual(closeB.reason, "going away")
        XCTAssertTrue(h.waitUntilRunReturns())
        let ids = h.delegate.events.openedIDs
        XCTAssertTrue(ids.allSatisfy { h.delegate.events.contains(.close($0)) })
        XCTAssertThrowsError(try RawSocket(port: h.port), "listening socket is gone")
    }

    func testRequestStopReturnsEvenIfAClientNeverAnswersTheClose() throws {
        let h = try ServerHarness()
        let stubborn = try RawWebSocketClient(port: h.port, receiveBufferSize: 4096)
        XCTAssertTrue(h.delegate.waitFor { $0.openedIDs.count == 1 })
        XCTAssertTrue(h.stop(timeout: 20))  // bounded grace, then the context is destroyed anyway
        withExtendedLifetime(stubborn) {}
    }

    func testStartFailsCleanlyOnABusyPort() throws {
        let first = try ServerHarness()
        XCTAssertThrowsError(try ServerHarness(config: TransportConfig(port: first.port)))
    }
}
