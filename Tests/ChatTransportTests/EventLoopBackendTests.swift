@testable import ChatTransport
import Foundation
import XCTest

/// The key transport behaviours on both event loops (the rest of the suite runs on the default, libev; run it on
/// poll with CHAT_TRANSPORT_EVENT_LOOP=poll), and the fallback to poll when libev cannot be loaded.
final class EventLoopBackendTests: XCTestCase {
    private static let backends: [TransportEventLoop] = [.poll, .libev]

    private func echoHarness(_ config: TransportConfig, delegate: RecordingDelegate = RecordingDelegate())
        throws -> ServerHarness {
        delegate.onText = { server, id, bytes in _ = server.send(bytes, to: id) }
        delegate.onRequest = { server, request in
            server.respond(to: request.id, with: HTTPResponse(status: 200, body: Array("{\"ok\":true}".utf8)))
        }
        return try ServerHarness(config: config, delegate: delegate, pinnedEventLoop: true)
    }

    /// Echo in order, HTTP, a wake from another thread, then a graceful stop with 1001.
    private func checkServes(_ h: ServerHarness, _ label: String) throws {
        let client = try RawWebSocketClient(port: h.port)
        for i in 0..<200 { client.sendText("m\(i)") }
        for i in 0..<200 { XCTAssertEqual(try client.readMessage(), .text("m\(i)"), label) }
        let r = try rawHTTP(port: h.port, method: "GET", path: "/healthz")
        XCTAssertEqual(r.status, 200, label)
        let server = h.server
        let wakes = h.delegate.events.count(of: .wake)
        Thread.detachNewThread { server.wake() }
        XCTAssertTrue(h.delegate.waitFor { $0.count(of: .wake) > wakes }, label)

        Thread.detachNewThread { server.requestStop() }
        let close = try client.readUntilClose()
        XCTAssertEqual(close.code, 1001, label)
        XCTAssertEqual(close.reason, "going away", label)
        XCTAssertTrue(h.waitUntilRunReturns(), label)
        let ids = h.delegate.events.openedIDs
        XCTAssertEqual(ids.count, 1, label)
        XCTAssertTrue(ids.allSatisfy { h.delegate.events.contains(.close($0)) }, label)
        XCTAssertThrowsError(try RawSocket(port: h.port), "\(label): listening socket is gone")
    }

    func testDefaultIsLibevAndItIsActive() throws {
        XCTAssertEqual(TransportConfig().eventLoop, .libev)
        let h = try echoHarness(TransportConfig())
        XCTAssertEqual(h.server.activeEventLoop, .libev, "libwebsockets-evlib-ev and libev4 are installed here")
        try checkServes(h, "libev")
    }

    func testKeyBehavioursOnBothBackends() throws {
        for backend in Self.backends {
            let h = try echoHarness(TransportConfig(eventLoop: backend))
            XCTAssertEqual(h.server.activeEventLoop, backend)
            try checkServes(h, "\(backend)")
        }
    }

    func testTimersOnBothBackends() throws {
        for backend in Self.backends {
            let delegate = RecordingDelegate()
            let fired = ResultBox<Date>()
            let armedAt = ResultBox<Date>()
            delegate.onWake = { server in
                server.scheduleTimer(after: 3600)  // replaced at once
                server.scheduleTimer(after: 0.05)
                armedAt.append(Date())
            }
            delegate.onTimer = { server in
                fired.append(Date())
                if fired.values.count == 1 {
                    server.scheduleTimer(after: 0)  // re-armed from inside the timer callback
                } else if fired.values.count == 2 {
                    server.scheduleTimer(after: 0.05)
                    server.cancelTimer()  // never fires
                }
            }
            let h = try echoHarness(TransportConfig(eventLoop: backend), delegate: delegate)
            h.server.wake()
            XCTAssertTrue(fired.waitFor { $0.count >= 2 }, "\(backend)")
            Thread.sleep(forTimeInterval: 0.3)
            XCTAssertEqual(fired.values.count, 2, "\(backend): cancelled timer did not fire")
            if let armed = armedAt.values.first, let first = fired.values.first {
                XCTAssertGreaterThanOrEqual(first.timeIntervalSince(armed), 0.04, "\(backend)")
                XCTAssertLessThan(first.timeIntervalSince(armed), 5, "\(backend): timer not held back")
            }
            XCTAssertTrue(h.stop(), "\(backend)")
        }
    }

    func testStopReturnsAfterTheGraceEvenIfAClientNeverAnswersOnBothBackends() throws {
        for backend in Self.backends {
            let h = try echoHarness(TransportConfig(eventLoop: backend))
            let stubborn = try RawWebSocketClient(port: h.port, receiveBufferSize: 4096)
            XCTAssertTrue(h.delegate.waitFor { $0.openedIDs.count == 1 }, "\(backend)")
            XCTAssertTrue(h.stop(timeout: 20), "\(backend)")
            withExtendedLifetime(stubborn) {}
        }
    }

    func testStopWithNoConnectionsOnBothBackends() throws {
        for backend in Self.backends {
            let h = try echoHarness(TransportConfig(eventLoop: backend))
            XCTAssertTrue(h.stop(), "\(backend)")
        }
    }

    func testMissingPluginFallsBackToPoll() throws {
        var config = TransportConfig(eventLoop: .libev)
        config.eventLibPluginName = "libwebsockets-evlib_missing-for-test.so"
        let h = try echoHarness(config)
        XCTAssertEqual(h.server.activeEventLoop, .poll)
        try checkServes(h, "fallback (plugin)")
    }

    func testMissingLibevFallsBackToPoll() throws {
        var config = TransportConfig(eventLoop: .libev)
        config.libevLibraryName = "libev-missing-for-test.so.4"
        let h = try echoHarness(config)
        XCTAssertEqual(h.server.activeEventLoop, .poll)
        try checkServes(h, "fallback (libev)")
    }

    func testBusyPortStillFailsOnLibev() throws {
        let first = try echoHarness(TransportConfig(eventLoop: .libev))
        XCTAssertThrowsError(try echoHarness(TransportConfig(port: first.port, eventLoop: .libev)))
        XCTAssertTrue(first.stop())
    }
}
