import ChatTransport
import XCTest

final class WebSocketFramingTests: XCTestCase {
    private func echoHarness(_ config: TransportConfig = TransportConfig()) throws -> ServerHarness {
        let delegate = RecordingDelegate()
        delegate.onText = { server, id, bytes in _ = server.send(bytes, to: id) }
        return try ServerHarness(config: config, delegate: delegate)
    }

    func testEchoRoundTripReportsOpenAndClose() throws {
        let h = try echoHarness()
        let client = try RawWebSocketClient(port: h.port)
        client.sendText("hello")
        XCTAssertEqual(try client.readMessage(), .text("hello"))
        client.sendText("{\"type\":\"ping\",\"émoji\":\"✓\"}")
        XCTAssertEqual(try client.readMessage(), .text("{\"type\":\"ping\",\"émoji\":\"✓\"}"))

        let id = try XCTUnwrap(h.delegate.events.openedIDs.first)
        XCTAssertEqual(h.delegate.events.first { $0 != .wake }, .open(id, "/ws"))
        client.sendClose()
        XCTAssertTrue(h.delegate.waitFor { $0.contains(.close(id)) })
        XCTAssertTrue(h.stop())
    }

    func testSendToUnknownConnectionIsReported() throws {
        let delegate = RecordingDelegate()
        let results = ResultBox<SendResult>()
        delegate.onOpen = { server, id in
            results.append(server.send(Array("x".utf8), to: id + 1000))
            results.append(server.send(Array("welcome".utf8), to: id))
        }
        let h = try ServerHarness(delegate: delegate)
        let client = try RawWebSocketClient(port: h.port)
        XCTAssertEqual(try client.readMessage(), .text("welcome"))
        XCTAssertEqual(results.values, [.unknownConnection, .queued])
    }

    func testManySmallMessagesArriveInOrder() throws {
        let h = try echoHarness()
        let client = try RawWebSocketClient(port: h.port)
        for i in 0..<500 { client.sendText("m\(i)") }
        for i in 0..<500 { XCTAssertEqual(try client.readMessage(), .text("m\(i)")) }
    }

    /// One `OutgoingMessage` queued for several connections (an event to every follower) shares one buffer: each
    /// gets the whole message, also one bigger than the socket takes at once, and later messages after it intact.
    func testOneSharedMessageReachesEveryConnectionIntact() throws {
        let delegate = RecordingDelegate()
        let opened = ResultBox<TransportConnectionID>()
        let big = (0..<300_000).map { UInt8(0x61 + $0 % 26) }
        delegate.onOpen = { _, id in opened.append(id) }
        delegate.onText = { server, _, bytes in
            guard bytes == Array("to everyone".utf8) else { return }
            let shared = OutgoingMessage(big)
            let small = OutgoingMessage(Array("after".utf8))
            for id in opened.values {
                XCTAssertEqual(server.send(shared, to: id), .queued)
                XCTAssertEqual(server.send(small, to: id), .queued)
            }
        }
        let h = try ServerHarness(config: TransportConfig(maxFrameBytes: 1 << 20, maxQueuedBytesPerConnection: 1 << 20),
                                  delegate: delegate)
        let clients = try (0..<3).map { _ in try RawWebSocketClient(port: h.port, receiveBufferSize: 8192) }
        XCTAssertTrue(h.delegate.waitFor { $0.openedIDs.count == 3 })
        clients[0].sendText("to everyone")
        for client in clients {
            XCTAssertEqual(try client.readMessage(), .text(String(decoding: big, as: UTF8.self)))
            XCTAssertEqual(try client.readMessage(), .text("after"))
        }
    }

    /// Messages queued in one service turn go out gathered in few writes: every length form of the frame header
    /// (up to 125, 126 to 65535, above) and messages too big to gather, interleaved, arrive whole and in order.
    func testABurstQueuedInOneTurnArrivesAsTheSameMessagesInOrder() throws {
        let delegate = RecordingDelegate()
        let sizes = [0, 1, 125, 126, 127, 4095, 4096, 4097, 65_535, 65_536, 70_000, 3, 200] + Array(repeating: 40, count: 60)
        let messages = sizes.enumerated().map { i, size in
            String((0..<size).map { Character(UnicodeScalar(UInt8(0x41 + (i + $0) % 26))) })
        }
        delegate.onText = { server, id, bytes in
            guard bytes == Array("burst".utf8) else { return }
            for message in messages { XCTAssertEqual(server.send(Array(message.utf8), to: id), .queued) }
        }
        let h = try ServerHarness(config: TransportConfig(maxFrameBytes: 1 << 20, maxQueuedBytesPerConnection: 1 << 20),
                                  delegate: delegate)
        let client = try RawWebSocketClient(port: h.port)
        client.sendText("burst")
        for message in messages { XCTAssertEqual(try client.readMessage(), .text(message)) }
        client.sendText("burst")
        for message in messages { XCTAssertEqual(try client.readMessage(), .text(message)) }
    }

    func testFragmentedMessageIsReassembled() throws {
        let h = try echoHarness()
        let client = try RawWebSocketClient(port: h.port)
        client.sendFrame(opcode: 1, payload: Array("hel".utf8), fin: false)
        client.sendFrame(opcode: 0, payload: Array("lo, ".utf8), fin: false)
        client.sendFrame(opcode: 9, payload: Array("ping-in-between".utf8))  // control frames may interleave
        client.sendFrame(opcode: 0, payload: Array("world".utf8), fin: true)
        XCTAssertEqual(try client.readMessage(), .text("hello, world"))
        let id = try XCTUnwrap(h.delegate.events.openedIDs.first)
        XCTAssertEqual(h.delegate.events.filter { if case .text = $0 { return true } else { return false } },
                       [.text(id, "hello, world")], "one delivery for the whole message")
    }

    func testLargeMessageBiggerThanReceiveBufferIsReassembled() throws {
        let h = try echoHarness(TransportConfig(maxFrameBytes: 512 * 1024, maxQueuedBytesPerConnection: 1 << 20))
        let client = try RawWebSocketClient(port: h.port)
        let big = String((0..<300_000).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        client.sendText(big)
        XCTAssertEqual(try client.readMessage(), .text(big))
        // Also in fragments that together are large.
        let parts = stride(from: 0, to: big.utf8.count, by: 70_000).map {
            Array(big.utf8)[$0..<min($0 + 70_000, big.utf8.count)]
        }
        for (i, part) in parts.enumerated() {
            client.sendFrame(opcode: i == 0 ? 1 : 0, payload: Array(part), fin: i == parts.count - 1)
        }
        XCTAssertEqual(try client.readMessage(), .text(big))
    }

    func testOversizedMessageClosesWith1009AndOthersContinue() throws {
        let h = try echoHarness(TransportConfig(maxFrameBytes: 1024))
        let victim = try RawWebSocketClient(port: h.port)
        let bystander = try RawWebSocketClient(port: h.port)
        victim.sendText(String(repeating: "x", count: 5000))
        let close = try victim.readUntilClose()
        XCTAssertEqual(close.code, 1009)
        XCTAssertEqual(close.skippedMessages, 0, "nothing was echoed")

        // Exceeding the limit only across fragments is caught too.
        let victim2 = try RawWebSocketClient(port: h.port)
        victim2.sendFrame(opcode: 1, payload: [UInt8](repeating: 65, count: 800), fin: false)
        victim2.sendFrame(opcode: 0, payload: [UInt8](repeating: 65, count: 800), fin: true)
        XCTAssertEqual(try victim2.readUntilClose().code, 1009)

        bystander.sendText("still here")
        XCTAssertEqual(try bystander.readMessage(), .text("still here"))
        let texts = h.delegate.events.filter { if case .text = $0 { return true } else { return false } }
        XCTAssertEqual(texts.count, 1, "oversized messages were never delivered")
        XCTAssertTrue(h.delegate.waitFor { $0.count(of: .close(1)) == 1 && $0.count(of: .close(3)) == 1 })
    }

    func testBinaryMessageIsSignalledNotDelivered() throws {
        let h = try echoHarness()
        let client = try RawWebSocketClient(port: h.port)
        client.sendFrame(opcode: 2, payload: [0, 1, 2, 3, 255])
        client.sendFrame(opcode: 2, payload: [9, 9], fin: false)
        client.sendFrame(opcode: 0, payload: [9], fin: true)
        client.sendText("after binary")
        XCTAssertEqual(try client.readMessage(), .text("after binary"))
        let id = try XCTUnwrap(h.delegate.events.openedIDs.first)
        XCTAssertEqual(h.delegate.events.count(of: .binary(id)), 2)
    }

    func testInvalidUTF8TextClosesConnectionWithoutDelivery() throws {
        let h = try echoHarness()
        let client = try RawWebSocketClient(port: h.port)
        client.sendFrame(opcode: 1, payload: [0xC3, 0x28])
        XCTAssertEqual(try client.readUntilClose().code, 1007)
        let other = try RawWebSocketClient(port: h.port)
        other.sendText("ok")
        XCTAssertEqual(try other.readMessage(), .text("ok"))
    }

    func testAbruptDisconnectMidMessageIsReportedAsClose() throws {
        let h = try echoHarness()
        var client: RawWebSocketClient? = try RawWebSocketClient(port: h.port)
        client?.sendFrame(opcode: 1, payload: Array("partial".utf8), fin: false)
        client?.socket.write([0x81, 0xFE, 0x10])  // a header cut short
        client = nil  // closes the socket
        XCTAssertTrue(h.delegate.waitFor { $0.contains(.close(1)) })
        let other = try RawWebSocketClient(port: h.port)
        other.sendText("fine")
        XCTAssertEqual(try other.readMessage(), .text("fine"))
    }

    func testServerInitiatedCloseFlushesQueuedFramesFirst() throws {
        let delegate = RecordingDelegate()
        delegate.onText = { server, id, _ in
            for i in 0..<3 { _ = server.send(Array("bye \(i)".utf8), to: id) }
            server.close(id, code: 4000, reason: "session_ended")
            XCTAssertEqual(server.send(Array("late".utf8), to: id), .unknownConnection)
        }
        let h = try ServerHarness(delegate: delegate)
        let client = try RawWebSocketClient(port: h.port)
        client.sendText("end it")
        XCTAssertEqual(try client.readMessage(), .text("bye 0"))
        XCTAssertEqual(try client.readMessage(), .text("bye 1"))
        XCTAssertEqual(try client.readMessage(), .text("bye 2"))
        XCTAssertEqual(try client.readMessage(), .close(code: 4000, reason: "session_ended"))
        XCTAssertTrue(h.delegate.waitFor { $0.contains(.close(1)) })
    }

    func testSlowConsumerIsClosedWith1008WhileOthersContinue() throws {
        let delegate = RecordingDelegate()
        let results = ResultBox<SendResult>()
        let floodTarget = ResultBox<TransportConnectionID>()
        let frame = [UInt8](repeating: 0x61, count: 1024)
        // Push 8 KB per service turn to the target until the transport gives up on it: a reader would keep up,
        // so the queue only reaches its 64 KB cap once the kernel buffers are full.
        delegate.onTimer = { server in
            guard let target = floodTarget.values.first, results.values.isEmpty || results.values.last == .queued
            else { return }
            for _ in 0..<8 {
                let r = server.send(frame, to: target)
                if r != .queued { results.append(r); return }
            }
            results.append(.queued)
            if results.values.count < 20_000 { server.scheduleTimer(after: 0) }
        }
        delegate.onText = { server, id, bytes in
            if bytes == Array("flood me".utf8) {
                floodTarget.append(id)
                server.scheduleTimer(after: 0)
            } else {
                _ = server.send(bytes, to: id)
            }
        }
        let h = try ServerHarness(
            config: TransportConfig(maxQueuedBytesPerConnection: 64 * 1024), delegate: delegate)
        let slow = try RawWebSocketClient(port: h.port, receiveBufferSize: 4096)
        let healthy = try RawWebSocketClient(port: h.port)
        slow.sendText("flood me")  // and then does not read

        XCTAssertTrue(results.waitFor(timeout: 30) { $0.last != nil && $0.last != .queued })
        XCTAssertEqual(results.values.last, .closedSlowConsumer)
        XCTAssertGreaterThan(results.values.count, 1, "several turns were queued before the cap was hit")

        healthy.sendText("are you there")
        XCTAssertEqual(try healthy.readMessage(), .text("are you there"))

        // When the slow client finally reads, it finds the backlog the kernel held, then the 1008 close.
        let close = try slow.readUntilClose()
        XCTAssertEqual(close.code, 1008)
        XCTAssertEqual(close.reason, "slow_consumer")
    }
}

/// Values appended on the service thread, read by the test thread.
final class ResultBox<T>: @unchecked Sendable {
    private let condition = NSCondition()
    private var storage: [T] = []
    func append(_ v: T) {
        condition.withLock {
            storage.append(v)
            condition.broadcast()
        }
    }
    var values: [T] { condition.withLock { storage } }

    /// Blocks until `predicate(values)` holds; false if not within `timeout`.
    func waitFor(timeout: TimeInterval = 10, _ predicate: ([T]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(storage) {
            if !condition.wait(until: deadline) { return predicate(storage) }
        }
        return true
    }
}
