import ChatTransport
import XCTest

/// Issue 9: per-address WebSocket cap, abandoned HTTP requests, peer addresses, the housekeeping timer.
final class ConnectionLimitsTests: XCTestCase {
    func testWebSocketsOverTheAddressCapAreClosedWith1013AndNeverReachTheDelegate() throws {
        let h = try ServerHarness(config: TransportConfig(maxConnectionsPerAddress: 2))
        let first = try RawWebSocketClient(port: h.port)
        let second = try RawWebSocketClient(port: h.port)
        XCTAssertTrue(h.delegate.waitFor { $0.openedIDs.count == 2 })
        let third = try RawWebSocketClient(port: h.port)
        let closed = try third.readUntilClose()
        XCTAssertEqual(closed.code, 1013)
        XCTAssertEqual(closed.reason, "too_many_connections")
        XCTAssertEqual(h.delegate.events.openedIDs.count, 2)
        XCTAssertEqual(h.delegate.events.filter { if case .close = $0 { return true } else { return false } }.count, 0)
        // A place freed by a close is given again.
        first.sendClose()
        XCTAssertTrue(h.delegate.waitFor { $0.contains { if case .close = $0 { return true } else { return false } } })
        _ = try RawWebSocketClient(port: h.port)
        XCTAssertTrue(h.delegate.waitFor { $0.openedIDs.count == 3 })
        _ = second
        XCTAssertTrue(h.stop())
    }

    func testRequestWhoseClientLeftIsReportedAbandoned() throws {
        let delegate = RecordingDelegate()
        let peers = ResultBox<String>()
        delegate.onRequest = { _, request in peers.append(request.peerAddress) }   // never answered
        let h = try ServerHarness(delegate: delegate)
        do {
            let socket = try RawSocket(port: h.port)
            // A POST like a login (what the server cares about): lws keeps reading after its body, so it sees the close.
            socket.write("POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            XCTAssertTrue(h.delegate.waitFor { !$0.requestIDs.isEmpty })
        }  // socket closed unanswered
        let id = try XCTUnwrap(h.delegate.events.requestIDs.first)
        XCTAssertTrue(h.delegate.waitFor { $0.contains(.abandoned(id)) })
        XCTAssertEqual(peers.values, ["127.0.0.1"])
    }

    func testAnsweredRequestIsNotReportedAbandoned() throws {
        let delegate = RecordingDelegate()
        delegate.onRequest = { server, request in server.respond(to: request.id, with: HTTPResponse(status: 204)) }
        let h = try ServerHarness(delegate: delegate)
        XCTAssertEqual(try rawHTTP(port: h.port, method: "GET", path: "/healthz").status, 204)
        XCTAssertTrue(h.stop())
        XCTAssertFalse(h.delegate.events.contains { if case .abandoned = $0 { return true } else { return false } })
    }

    func testHousekeepingTimerFiresIndependentlyOfTheUserTimer() throws {
        let delegate = RecordingDelegate()
        delegate.onOpen = { server, _ in
            server.scheduleTimer(after: 3600)
            server.scheduleHousekeeping(after: 0.01)
        }
        let h = try ServerHarness(delegate: delegate)
        _ = try RawWebSocketClient(port: h.port)
        XCTAssertTrue(h.delegate.waitFor { $0.contains(.housekeeping) })
        XCTAssertFalse(h.delegate.events.contains(.timer))
    }

    func testSilentWebSocketIsPingedThenDropped() throws {
        let h = try ServerHarness(config: TransportConfig(idlePingSeconds: 1, idleTimeoutSeconds: 2))
        let client = try RawWebSocketClient(port: h.port)
        let id = try XCTUnwrap({ h.delegate.waitFor { !$0.openedIDs.isEmpty }; return h.delegate.events.openedIDs.first }())
        // Never answers: the server's ping is the only thing received, then the connection ends without a close frame.
        let received = try client.socket.readToEOF()
        XCTAssertEqual(received.first, 0x89, "expected a ping frame, got \(received)")
        XCTAssertEqual(Array(received.dropFirst(2)), Array("idle".utf8))
        XCTAssertTrue(h.delegate.waitFor { $0.contains(.close(id)) })
    }
}
