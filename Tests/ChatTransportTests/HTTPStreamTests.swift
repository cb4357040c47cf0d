import ChatTransport
import Foundation
import XCTest

/// Streamed HTTP bodies (`WebSocketServer+HTTPStream.swift`): chunked framing, flow control, abort.
final class HTTPStreamTests: XCTestCase {
    /// Decodes a chunked body; nil if it is malformed or lacks the final chunk (truncated).
    func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = (i..<max(i, bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self), radix: 16) else { return nil }
            i = lineEnd + 2
            if size == 0 { return bytes.count >= i + 2 ? out : nil }
            guard bytes.count >= i + size + 2 else { return nil }
            out += bytes[i..<(i + size)]
            i += size + 2
        }
    }

    /// Producer state of one streamed request, touched only on the service thread.
    final class Producer: @unchecked Sendable {
        let parts: [[UInt8]]
        var next = 0
        var results: [StreamAppendResult] = []
        var drains = 0
        init(parts: [[UInt8]]) { self.parts = parts }

        func pump(_ server: WebSocketServer, _ id: UInt64) {
            while next < parts.count {
                let result = server.appendStream(to: id, parts[next], isLast: next == parts.count - 1)
                results.append(result)
                next += 1
                guard result == .queued(room: true) else { return }
            }
        }
    }

    func testALongBodyIsStreamedWholeAPartAtATimeAsTheClientReads() throws {
        let parts = (0..<40).map { i in [UInt8](repeating: UInt8(ascii: "a") + UInt8(i % 26), count: 100_000) }
        let producer = Producer(parts: parts)
        let delegate = RecordingDelegate()
        delegate.onRequest = { server, request in
            XCTAssertTrue(server.beginStream(to: request.id, status: 200, contentType: "text/csv",
                                             headers: ["Content-Disposition": "attachment"]))
            producer.pump(server, request.id)
        }
        delegate.onStreamDrain = { server, id in
            producer.drains += 1
            producer.pump(server, id)
        }
        let h = try ServerHarness(config: TransportConfig(), delegate: delegate)
        let r = try rawHTTP(port: h.port, method: "GET", path: "/api/export.csv")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["transfer-encoding"], "chunked")
        XCTAssertEqual(r.headers["content-type"], "text/csv")
        XCTAssertEqual(r.headers["content-disposition"], "attachment")
        XCTAssertNil(r.headers["content-length"])
        XCTAssertEqual(dechunk(r.body), parts.flatMap { $0 })
        XCTAssertFalse(producer.results.contains(.overflow))
        // Every part is bigger than the low-water mark: each one waited for the previous to drain.
        XCTAssertEqual(producer.drains, parts.count - 1)
    }

    func testAnAbortedStreamEndsWithoutItsFinalChunk() throws {
        let delegate = RecordingDelegate()
        delegate.onRequest = { server, request in
            server.beginStream(to: request.id, status: 200, contentType: "application/json")
            XCTAssertEqual(server.appendStream(to: request.id, Array("{\"events\":[".utf8), isLast: false), .queued(room: true))
            server.abortStream(to: request.id)
            XCTAssertEqual(server.appendStream(to: request.id, Array("]}".utf8), isLast: true), .unknownRequest)
        }
        let h = try ServerHarness(config: TransportConfig(), delegate: delegate)
        let r = try rawHTTP(port: h.port, method: "GET", path: "/api/export")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), "b\r\n{\"events\":[\r\n", "what was appended, then no final chunk")
        XCTAssertNil(dechunk(r.body))
    }

    func testAnOversizedPartAbortsInsteadOfGrowingTheBuffer() throws {
        let delegate = RecordingDelegate()
        delegate.onRequest = { server, request in
            server.beginStream(to: request.id, status: 200, contentType: "text/plain")
            let big = [UInt8](repeating: 65, count: WebSocketServer.streamCapacityBytes + 1)
            XCTAssertEqual(server.appendStream(to: request.id, big, isLast: true), .overflow)
            XCTAssertEqual(server.appendStream(to: request.id, [65], isLast: true), .unknownRequest)
        }
        let h = try ServerHarness(config: TransportConfig(), delegate: delegate)
        let r = try rawHTTP(port: h.port, method: "GET", path: "/api/export")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body, [], "nothing was queued: headers, then the close")
    }

    func testAStreamedRequestCannotAlsoBeAnsweredWhole() throws {
        let delegate = RecordingDelegate()
        delegate.onRequest = { server, request in
            XCTAssertTrue(server.beginStream(to: request.id, status: 200, contentType: "text/plain"))
            XCTAssertFalse(server.beginStream(to: request.id, status: 500, contentType: "text/plain"))
            server.respond(to: request.id, with: HTTPResponse(status: 500))  // ignored
            _ = server.appendStream(to: request.id, Array("ok".utf8), isLast: true)
        }
        let h = try ServerHarness(config: TransportConfig(), delegate: delegate)
        let r = try rawHTTP(port: h.port, method: "GET", path: "/api/x")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(dechunk(r.body), Array("ok".utf8))
    }

    /// lws notices a GET client's close only when it next writes to it (it stops reading an answered request), so
    /// a producer learns of it at its next part at the latest: it reads at most one page nobody takes.
    func testAClientLeavingMidStreamIsReportedAbandonedAtTheNextPart() throws {
        let delegate = RecordingDelegate()
        var streamID: UInt64 = 0
        delegate.onRequest = { server, request in
            streamID = request.id
            server.beginStream(to: request.id, status: 200, contentType: "text/plain")
            _ = server.appendStream(to: request.id, Array("first part\n".utf8), isLast: false)
            server.scheduleTimer(after: 0.05)
        }
        delegate.onTimer = { server in
            // The producer's next pages, until the transport says the request is gone.
            if server.appendStream(to: streamID, Array("next part\n".utf8), isLast: false) != .unknownRequest {
                server.scheduleTimer(after: 0.05)
            }
        }
        let h = try ServerHarness(config: TransportConfig(), delegate: delegate)
        var socket: RawSocket? = try RawSocket(port: h.port)
        socket?.write("GET /api/export HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(try XCTUnwrap(socket?.readHTTPHead()).contains("200"))
        let id = try XCTUnwrap(h.delegate.events.requestIDs.first)
        socket = nil  // the client goes away
        XCTAssertTrue(h.delegate.waitFor { $0.contains(.abandoned(id)) }, "the producer is told to stop")
    }
}
