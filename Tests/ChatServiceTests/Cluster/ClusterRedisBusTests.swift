import Foundation
import XCTest

@testable import ChatService

/// RedisBus against a real Redis (CHATD_TEST_REDIS_URL); the reconnect test runs a private redis-server.
final class ClusterRedisBusTests: XCTestCase {
    private struct Received: Sendable {
        var channel: String
        var payload: [UInt8]
    }

    private func makeBus(url: String, subscriptions: [String], maxQueuedBytes: Int = 64 << 20,
                         received: Recorder<Received>? = nil, connection: Recorder<Bool>? = nil) -> RedisBus {
        RedisBus(url: url, subscriptions: subscriptions, maxQueuedBytes: maxQueuedBytes,
                 logger: ClusterTestServers.logger,
                 onMessage: { channel, payload in received?.record(Received(channel: channel, payload: payload)) },
                 onConnectionChange: { connected in connection?.record(connected) })
    }

    private func uniqueChannel() -> String { "chatd.test.\(UUID().uuidString)" }

    func testMessagesArriveInOrderWithBinaryPayloadsIntact() throws {
        let url = try ClusterTestServers.redisURL()
        let channel = uniqueChannel()
        let received = Recorder<Received>()
        let connection = Recorder<Bool>()
        let subscriber = makeBus(url: url, subscriptions: [channel], received: received, connection: connection)
        subscriber.start()
        defer { subscriber.stop() }
        XCTAssertTrue(connection.wait { $0.last == true }, "subscriber never connected")
        let publisher = makeBus(url: url, subscriptions: [])
        publisher.start()
        defer { publisher.stop() }

        var sent: [[UInt8]] = [[], [0], [0, 0, 0], [0xff, 0x00, 0x0d, 0x0a, 0x24, 0x2a]]
        sent.append((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })  // 100 KB, every byte value
        for index in 0..<1_000 {
            sent.append([0] + Array("message \(index)".utf8) + [0])
        }
        sent.append([UInt8](repeating: 0, count: 100 * 1024))
        for (index, payload) in sent.enumerated() {
            if index % 2 == 0 {
                XCTAssertTrue(publisher.publish(channel, payload))
            } else {
                XCTAssertTrue(publisher.publish([(channel: channel, payload: payload)]))
            }
        }
        XCTAssertTrue(received.wait { $0.count >= sent.count }, "received \(received.events.count) of \(sent.count)")
        let events = received.events
        XCTAssertEqual(events.count, sent.count)
        XCTAssertTrue(events.allSatisfy { $0.channel == channel })
        XCTAssertEqual(events.map(\.payload), sent)
        XCTAssertEqual(publisher.currentStatistics.published, sent.count)
        XCTAssertEqual(publisher.currentStatistics.queuedBytes, 0)
    }

    func testSeveralChannelsAndBatchPublish() throws {
        let url = try ClusterTestServers.redisURL()
        let (first, second, unsubscribed) = (uniqueChannel(), uniqueChannel(), uniqueChannel())
        let received = Recorder<Received>()
        let connection = Recorder<Bool>()
        let bus = makeBus(url: url, subscriptions: [first, second], received: received, connection: connection)
        bus.start()
        defer { bus.stop() }
        XCTAssertTrue(connection.wait { $0.last == true })
        XCTAssertTrue(bus.publish([(first, [1]), (unsubscribed, [2]), (second, [3]), (first, [4])]))
        XCTAssertTrue(received.wait { $0.count >= 3 })
        XCTAssertEqual(received.events.map(\.channel), [first, second, first])
        XCTAssertEqual(received.events.map(\.payload), [[1], [3], [4]])
    }

    func testPublishFromManyThreadsKeepsEachThreadsOrder() throws {
        let url = try ClusterTestServers.redisURL()
        let channel = uniqueChannel()
        let received = Recorder<Received>()
        let connection = Recorder<Bool>()
        let subscriber = makeBus(url: url, subscriptions: [channel], received: received, connection: connection)
        subscriber.start()
        defer { subscriber.stop() }
        XCTAssertTrue(connection.wait { $0.last == true })
        let publisher = makeBus(url: url, subscriptions: [])
        publisher.start()
        defer { publisher.stop() }

        let threads = 8, perThread = 500
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for seq in 0..<perThread {
                let payload: [UInt8] = [UInt8(thread), UInt8(seq >> 8), UInt8(seq & 0xff)] + [UInt8](repeating: 0, count: 50)
                while !publisher.publish(channel, payload) { usleep(1_000) }
            }
        }
        XCTAssertTrue(received.wait(timeout: 20) { $0.count >= threads * perThread })
        var next = [Int](repeating: 0, count: threads)
        for event in received.events {
            let thread = Int(event.payload[0]), seq = Int(event.payload[1]) << 8 | Int(event.payload[2])
            XCTAssertEqual(seq, next[thread], "thread \(thread) out of order")
            next[thread] = seq + 1
        }
        XCTAssertEqual(next, [Int](repeating: perThread, count: threads))
    }

    func testFullQueueRefusesAndQueuesNothing() throws {
        // Nothing listens on this port, so the publisher never drains: the bound is all that matters.
        let bus = makeBus(url: "redis://127.0.0.1:\(freeLoopbackPort())", subscriptions: [], maxQueuedBytes: 1_000)
        bus.start()
        defer { bus.stop() }
        XCTAssertTrue(bus.publish("c", [UInt8](repeating: 1, count: 600)))
        XCTAssertFalse(bus.publish("c", [UInt8](repeating: 1, count: 600)))
        XCTAssertFalse(bus.publish([(channel: "c", payload: [UInt8](repeating: 1, count: 200)),
                                    (channel: "c", payload: [UInt8](repeating: 1, count: 200))]),
                       "a batch is queued whole or not at all")
        XCTAssertTrue(bus.publish("c", [UInt8](repeating: 1, count: 300)))
        let statistics = bus.currentStatistics
        XCTAssertEqual(statistics.refused, 3)
        XCTAssertEqual(statistics.queuedBytes, 601 + 301)
        XCTAssertFalse(bus.isConnected)
    }

    func testStoppedBusRefuses() throws {
        let bus = makeBus(url: "redis://127.0.0.1:\(freeLoopbackPort())", subscriptions: ["c"])
        bus.start()
        bus.stop()
        XCTAssertFalse(bus.publish("c", [1]))
    }

    func testReconnectsAfterRedisRestarts() throws {
        _ = try ClusterTestServers.redisURL()
        let server = PrivateRedisServer(port: freeLoopbackPort())
        try server.start()
        defer { server.stop() }
        let channel = uniqueChannel()
        let received = Recorder<Received>()
        let connection = Recorder<Bool>()
        let bus = makeBus(url: server.url, subscriptions: [channel], received: received, connection: connection)
        bus.start()
        defer { bus.stop() }
        XCTAssertTrue(connection.wait { $0 == [true] })
        XCTAssertTrue(bus.publish(channel, [1]))
        XCTAssertTrue(received.wait { $0.count == 1 })

        server.stop()
        XCTAssertTrue(connection.wait { $0 == [true, false] }, "the lost subscription is reported")
        try server.start()
        XCTAssertTrue(connection.wait(timeout: 15) { $0 == [true, false, true] }, "and its return")
        XCTAssertTrue(bus.publish(channel, [2]))
        XCTAssertTrue(received.wait(timeout: 15) { $0.contains { $0.payload == [2] } })
        XCTAssertGreaterThanOrEqual(bus.currentStatistics.publisherReconnects, 2)
    }

    /// Not a check of speed: prints messages/s through Redis for 200-byte payloads, one publishing thread.
    func testThroughputFigure() throws {
        let url = try ClusterTestServers.redisURL()
        let channel = uniqueChannel()
        let count = Int(ProcessInfo.processInfo.environment["CHATD_BUS_BENCH_MESSAGES"] ?? "") ?? 100_000
        let done = Recorder<Int>()
        let counter = Counter()
        let connection = Recorder<Bool>()
        let subscriber = RedisBus(url: url, subscriptions: [channel], logger: ClusterTestServers.logger,
                                  onMessage: { _, _ in if counter.increment() == count { done.record(count) } },
                                  onConnectionChange: { connection.record($0) })
        subscriber.start()
        defer { subscriber.stop() }
        XCTAssertTrue(connection.wait { $0.last == true })
        let publisher = makeBus(url: url, subscriptions: [])
        publisher.start()
        defer { publisher.stop() }
        let payload = [UInt8](repeating: 0x61, count: 200)
        let started = Date()
        for _ in 0..<count {
            while !publisher.publish(channel, payload) { usleep(100) }
        }
        XCTAssertTrue(done.wait(timeout: 120) { !$0.isEmpty }, "received \(counter.value) of \(count)")
        let seconds = Date().timeIntervalSince(started)
        print("RedisBus throughput: \(count) messages of 200 bytes in \(String(format: "%.2f", seconds)) s = "
              + "\(Int(Double(count) / seconds)) messages/s (one publisher thread, loopback)")
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
}
