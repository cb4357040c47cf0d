import ChatTransport
import Foundation
import XCTest

/// Prints figures, asserts nothing about speed. Runs only with CHAT_TRANSPORT_BENCH=1, best in release:
/// `CHAT_TRANSPORT_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter TransportThroughputBenchmark`
/// One connection; the raw Swift test client is usually the bottleneck, so these are lower bounds.
final class TransportThroughputBenchmark: XCTestCase {
    func testPushAndEchoThroughput() throws {
        guard ProcessInfo.processInfo.environment["CHAT_TRANSPORT_BENCH"] != nil else {
            throw XCTSkip("set CHAT_TRANSPORT_BENCH=1 to run")
        }
        let delegate = RecordingDelegate()
        let total = 200_000
        let sent = ResultBox<Int>()
        var count = 0
        var target: TransportConnectionID = 0
        let payload = Array(String(repeating: "m", count: 100).utf8)
        delegate.onTimer = { server in
            for _ in 0..<2000 where count < total {
                if server.send(payload, to: target) != .queued { sent.append(-1); return }
                count += 1
            }
            if count < total { server.scheduleTimer(after: 0) } else { sent.append(count) }
        }
        delegate.onText = { server, id, bytes in
            if bytes == Array("push".utf8) { target = id; server.scheduleTimer(after: 0) }
            else { _ = server.send(bytes, to: id) }
        }
        let h = try ServerHarness(config: TransportConfig(maxQueuedBytesPerConnection: 64 << 20), delegate: delegate)
        let client = try RawWebSocketClient(port: h.port)
        let t0 = Date()
        client.sendText("push")
        for _ in 0..<total { _ = try client.readMessage() }
        let dt = Date().timeIntervalSince(t0)
        print("PUSH \(total) msgs in \(dt)s = \(Int(Double(total)/dt)) msg/s; result \(sent.values)")

        // Echo: writer thread pipelines, this thread reads.
        let n = 100_000
        let echoClient = try RawWebSocketClient(port: h.port)
        var frame: [UInt8] = [0x81, 0x80 | 20, 1, 2, 3, 4]
        frame += (0..<20).map { UInt8(97 + $0) ^ [1, 2, 3, 4][$0 % 4] }
        var batch: [UInt8] = []
        for _ in 0..<1000 { batch += frame }
        nonisolated(unsafe) let sock = echoClient.socket
        let frozen = batch
        let t1 = Date()
        let writer = Thread { for _ in 0..<(n / 1000) { sock.write(frozen) } }
        writer.start()
        for _ in 0..<n { _ = try echoClient.readMessage() }
        let dt1 = Date().timeIntervalSince(t1)
        print("ECHO \(n) msgs in \(dt1)s = \(Int(Double(n)/dt1)) msg/s")
    }
}
