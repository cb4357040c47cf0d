import ChatTransport
import Foundation
import XCTest

/// Streamed request bodies (`WebSocketServer+RequestStream.swift`): head first, chunks in order, end; flow control
/// against a slow consumer; refusals by Content-Length; a response held until the body has ended.
final class HTTPUploadStreamTests: XCTestCase {
    /// A consumer that takes chunks on another thread, slowly (a disk), and reports them consumed through
    /// wake() to the service thread, as the chat service does.
    final class SlowSink: @unchecked Sendable {
        let lock = NSLock()
        var received: [UInt8] = []
        var chunks = 0
        var maxOutstanding = 0
        var outstanding = 0
        var consumedToReport = 0
        var ended: Bool?
        var heads = 0
        let queue = DispatchQueue(label: "slow-sink")

        func take(_ server: WebSocketServer, _ bytes: [UInt8]) {
            lock.withLock {
                outstanding += 1
                maxOutstanding = max(maxOutstanding, outstanding)
                chunks += 1
            }
            queue.async { [self] in
                usleep(2_000)
                lock.withLock {
                    received += bytes
                    outstanding -= 1
                    consumedToReport += 1
                }
                server.wake()
            }
        }

        func report(_ server: WebSocketServer, _ id: UInt64) {
            let n = lock.withLock { () -> Int in defer { consumedToReport = 0 }; return consumedToReport }
            if n > 0 { server.requestBodyConsumed(id, chunks: n) }
        }
    }

    func makeHarness(limit: Int, sink: SlowSink, answer: @escaping (WebSocketServer, UInt64) -> Void) throws -> ServerHarness {
        let delegate = RecordingDelegate()
        var current: UInt64 = 0
        delegate.onBodyLimit = { request in request.path == "/api/upload" ? limit : nil }
        delegate.onRequest = { server, request in
            XCTAssertTrue(request.bodyIsStreamed)
            XCTAssertTrue(request.body.isEmpty)
            current = request.id
            sink.lock.withLock { sink.heads += 1 }
        }
        delegate.onBodyChunk = { server, id, bytes in sink.take(server, bytes) }
        delegate.onWake = { server in sink.report(server, current) }
        delegate.onBodyEnd = { server, id, complete in
            sink.queue.async {
                sink.lock.withLock { sink.ended = complete }
                server.wake()
            }
            if complete { answer(server, id) }
        }
        return try ServerHarness(config: TransportConfig(maxHTTPBodyBytes: 1024), delegate: delegate)
    }

    func testABodyLargerThanTheBufferLimitArrivesWholeInOrderWithBoundedChunksWaiting() throws {
        let sink = SlowSink()
        let h = try makeHarness(limit: 8 << 20, sink: sink) { server, id in
            server.respond(to: id, with: HTTPResponse(status: 201, contentType: "application/json", body: Array("{}".utf8)))
        }
        let body = [UInt8]((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) })
        let r = try rawHTTP(port: h.port, method: "POST", path: "/api/upload", body: body)
        XCTAssertEqual(r.status, 201)
        sink.queue.sync {}
        XCTAssertEqual(sink.lock.withLock { sink.received }, body, "every byte, in order")
        XCTAssertEqual(sink.ended, true)
        XCTAssertEqual(sink.heads, 1)
        // The socket is paused above 4 waiting chunks; lws may hand over the rest of one read after the pause.
        XCTAssertLessThanOrEqual(sink.maxOutstanding, 12, "flow control bounds what waits for the consumer")
        XCTAssertGreaterThan(sink.chunks, 10)
    }

    func testAContentLengthOverTheLimitIsRefusedWithoutDeliveringAnything() throws {
        let sink = SlowSink()
        let h = try makeHarness(limit: 10_000, sink: sink) { server, id in
            server.respond(to: id, with: HTTPResponse(status: 201, contentType: "application/json", body: Array("{}".utf8)))
        }
        let r = try rawHTTP(port: h.port, method: "POST", path: "/api/upload", body: [UInt8](repeating: 65, count: 10_001))
        XCTAssertEqual(r.status, 413)
        XCTAssertTrue(String(decoding: r.body, as: UTF8.self).contains("payload_too_large"))
        XCTAssertEqual(sink.heads, 0)
        XCTAssertEqual(sink.chunks, 0)
        // At the limit exactly: accepted.
        let ok = try rawHTTP(port: h.port, method: "POST", path: "/api/upload", body: [UInt8](repeating: 65, count: 10_000))
        XCTAssertEqual(ok.status, 201)
        XCTAssertEqual(sink.heads, 1)
    }

    func testAnswerGivenBeforeTheBodyEndsIsHeldUntilItHas() throws {
        let sink = SlowSink()
        let delegate = RecordingDelegate()
        delegate.onBodyLimit = { _ in 1 << 20 }
        delegate.onRequest = { server, request in
            // Refused at the head (say, a bad token): the answer waits for the body.
            server.respond(to: request.id, with: HTTPResponse.jsonError(status: 401, code: "not_authenticated", message: "no"))
        }
        delegate.onBodyChunk = { server, id, _ in server.requestBodyConsumed(id) }
        let h = try ServerHarness(config: TransportConfig(), delegate: delegate)
        let r = try rawHTTP(port: h.port, method: "POST", path: "/api/upload", body: [UInt8](repeating: 1, count: 200_000))
        XCTAssertEqual(r.status, 401)
        _ = sink
    }
}
