import ChatTransport
import Foundation
import XCTest

final class HTTPRoutesTests: XCTestCase {
    private func jsonHarness(_ config: TransportConfig = TransportConfig()) throws -> ServerHarness {
        let delegate = RecordingDelegate()
        delegate.onText = { server, id, bytes in _ = server.send(bytes, to: id) }
        delegate.onRequest = { server, request in
            let summary = "\(request.method.rawValue) \(request.path) q=\(request.query.sorted { $0.key < $1.key })"
                + " auth=\(request.headers["authorization"] ?? "-") ct=\(request.headers["content-type"] ?? "-")"
                + " body=\(request.body.count)"
            server.respond(to: request.id, with: HTTPResponse(
                status: 200, body: Array("{\"summary\":\"\(summary)\"}".utf8), headers: ["X-Route": "dynamic"]))
        }
        return try ServerHarness(config: config, delegate: delegate)
    }

    func testHealthzAnsweredImmediatelyByDelegate() throws {
        let h = try jsonHarness()
        let r = try rawHTTP(port: h.port, method: "GET", path: "/healthz")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "application/json")
        XCTAssertEqual(r.headers["cache-control"], "no-store")
        XCTAssertEqual(r.headers["x-route"], "dynamic")
        XCTAssertTrue(r.text.contains("GET /healthz"), r.text)
        XCTAssertEqual(h.delegate.events.filter { if case .request = $0 { return true } else { return false } }.count, 1)
    }

    func testQueryAndHeadersAreDecodedForApiRoutes() throws {
        let h = try jsonHarness()
        let r = try rawHTTP(port: h.port, method: "GET", path: "/api/sessions/search?q=printer%20jam&limit=20",
                            headers: ["Authorization": "Bearer abc.def", "Content-Type": "application/json"])
        XCTAssertEqual(r.status, 200)
        let id = try XCTUnwrap(h.delegate.events.requestIDs.first)
        let request = try XCTUnwrap(h.delegate.request(id))
        XCTAssertEqual(request.method, .get)
        XCTAssertEqual(request.path, "/api/sessions/search")
        XCTAssertEqual(request.query, ["q": "printer jam", "limit": "20"])
        XCTAssertEqual(request.headers["authorization"], "Bearer abc.def")
        XCTAssertEqual(request.headers["content-type"], "application/json")
    }

    func testPostPutPatchBodiesAreDelivered() throws {
        let h = try jsonHarness()
        let body = Array(String(repeating: "{\"k\":\"v\"}", count: 3000).utf8)  // 27 KB: several body callbacks
        for method in ["POST", "PUT", "PATCH"] {
            let r = try rawHTTP(port: h.port, method: method, path: "/api/things",
                                headers: ["Content-Type": "application/json"], body: body)
            XCTAssertEqual(r.status, 200, method)
            XCTAssertTrue(r.text.contains("\(method) /api/things"), r.text)
        }
        let requests = h.delegate.events.requestIDs.compactMap { h.delegate.request($0) }
        XCTAssertEqual(requests.map(\.method), [.post, .put, .patch])
        for request in requests { XCTAssertEqual(request.body, body) }
    }

    func testBodyOverLimitIsAnswered413WithoutReachingDelegate() throws {
        let h = try jsonHarness(TransportConfig(maxHTTPBodyBytes: 1024))
        let r = try rawHTTP(port: h.port, method: "POST", path: "/api/things",
                            body: [UInt8](repeating: 0x7B, count: 5000))
        XCTAssertEqual(r.status, 413)
        XCTAssertEqual(r.headers["content-type"], "application/json")
        XCTAssertTrue(r.text.hasPrefix("{\"error\":{\"code\":\"payload_too_large\",\"message\":"), r.text)
        XCTAssertTrue(h.delegate.events.requestIDs.isEmpty)
        // A body at the limit still goes through.
        let ok = try rawHTTP(port: h.port, method: "POST", path: "/api/things", body: [UInt8](repeating: 0x7B, count: 1024))
        XCTAssertEqual(ok.status, 200)
    }

    func testDeferredResponseAnsweredInALaterTurnAfterWake() throws {
        let delegate = RecordingDelegate()
        let mailbox = ResultBox<(UInt64, String)>()
        let answered = ResultBox<UInt64>()
        delegate.onRequest = { _, request in
            // Simulate handing the work to another thread (e.g. a database reader) which posts back and wakes us.
            let requestID = request.id
            let box = mailbox
            Thread.detachNewThread { box.append((requestID, "{\"from\":\"worker\"}")) }
        }
        delegate.onWake = { server in
            for (id, json) in mailbox.values where !answered.values.contains(id) {
                answered.append(id)
                server.respond(to: id, with: HTTPResponse(status: 202, body: Array(json.utf8)))
            }
        }
        let h = try ServerHarness(delegate: delegate)
        let server = h.server
        let waker = Thread {
            // Wake until the worker's result has been picked up.
            for _ in 0..<50 where answered.values.isEmpty {
                _ = mailbox.waitFor(timeout: 0.2) { !$0.isEmpty }
                server.wake()
            }
        }
        let responseBox = ResultBox<RawHTTPResponse>()
        let port = h.port
        let client = Thread { if let r = try? rawHTTP(port: port, method: "GET", path: "/api/slow") { responseBox.append(r) } }
        client.start()
        waker.start()
        XCTAssertTrue(responseBox.waitFor { !$0.isEmpty })
        let r = try XCTUnwrap(responseBox.values.first)
        XCTAssertEqual(r.status, 202)
        XCTAssertEqual(r.text, "{\"from\":\"worker\"}")
        XCTAssertEqual(r.headers["cache-control"], "no-store")
    }

    func testRespondToVanishedRequestIsIgnored() throws {
        let delegate = RecordingDelegate()
        let pending = ResultBox<UInt64>()
        delegate.onRequest = { server, request in
            if request.path == "/healthz" { server.respond(to: request.id, with: HTTPResponse(status: 200)) }
            else { pending.append(request.id) }
        }
        delegate.onWake = { server in
            for id in pending.values { server.respond(to: id, with: HTTPResponse(status: 200)) }
        }
        let h = try ServerHarness(delegate: delegate)
        do {
            let socket = try RawSocket(port: h.port)
            socket.write("GET /api/never HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertTrue(pending.waitFor { !$0.isEmpty })
        }  // socket closed before any answer
        h.server.wake()
        XCTAssertTrue(h.delegate.waitFor { $0.contains(.wake) })
        XCTAssertEqual(try rawHTTP(port: h.port, method: "GET", path: "/healthz").status, 200)
    }

    func testUnknownPathsAndMethodsGetJSONErrors() throws {
        let h = try jsonHarness()
        let missing = try rawHTTP(port: h.port, method: "GET", path: "/nothing-here")
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue(missing.text.contains("\"code\":\"not_found\""), missing.text)
        let apiRoot = try rawHTTP(port: h.port, method: "GET", path: "/api")
        XCTAssertEqual(apiRoot.status, 404)
        XCTAssertTrue(h.delegate.events.requestIDs.isEmpty)
    }

    func testGarbageRequestDoesNotHurtTheServer() throws {
        let h = try jsonHarness()
        for garbage in ["NONSENSE\r\n\r\n", "GET\r\n\r\n", "\u{0}\u{1}\u{2}\r\n\r\n",
                        "GET /api/x HTTP/1.1\r\nContent-Length: -5\r\n\r\n"] {
            let socket = try RawSocket(port: h.port)
            socket.write(garbage)
            // lws answers 403 (or we drop the connection); either way the connection ends.
            XCTAssertNoThrow(try socket.readToEOF(), garbage.debugDescription)
        }
        XCTAssertTrue(h.delegate.events.requestIDs.isEmpty)
        XCTAssertEqual(try rawHTTP(port: h.port, method: "GET", path: "/healthz").status, 200)
    }

    func testStaticFolderIsServedWithModuleFriendlyMimeTypes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("transport-static-\(UUID())")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("js"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let files: [(String, String)] = [
            ("index.html", "<!doctype html><title>desk</title>"), ("js/app.js", "export const x = 1;\n"),
            ("style.css", "body{}"), ("data.json", "{\"a\":1}"), ("logo.svg", "<svg/>"),
        ]
        for (name, content) in files {
            try Data(content.utf8).write(to: root.appendingPathComponent(name))
        }
        let h = try jsonHarness(TransportConfig(staticRoot: root.path))

        let index = try rawHTTP(port: h.port, method: "GET", path: "/")
        XCTAssertEqual(index.status, 200)
        XCTAssertEqual(index.text, "<!doctype html><title>desk</title>")
        XCTAssertTrue(index.headers["content-type"]?.hasPrefix("text/html") ?? false)

        let expected = ["/js/app.js": "text/javascript", "/style.css": "text/css",
                        "/data.json": "application/json", "/logo.svg": "image/svg+xml"]
        for (path, type) in expected {
            let r = try rawHTTP(port: h.port, method: "GET", path: path)
            XCTAssertEqual(r.status, 200, path)
            XCTAssertEqual(r.headers["content-type"]?.split(separator: ";").first.map(String.init), type, path)
        }
        XCTAssertEqual(try rawHTTP(port: h.port, method: "GET", path: "/js/app.js").text, "export const x = 1;\n")
        XCTAssertEqual(try rawHTTP(port: h.port, method: "GET", path: "/missing.js").status, 404)

        // Dynamic routes and the WebSocket still work beside the static mount.
        let health = try rawHTTP(port: h.port, method: "GET", path: "/healthz")
        XCTAssertEqual(health.status, 200)
        XCTAssertTrue(health.text.contains("GET /healthz"))
        let api = try rawHTTP(port: h.port, method: "POST", path: "/api/login", body: Array("{}".utf8))
        XCTAssertTrue(api.text.contains("POST /api/login"), api.text)
        let ws = try RawWebSocketClient(port: h.port)
        ws.sendText("hi")
        XCTAssertEqual(try ws.readMessage(), .text("hi"))
    }

    func testWebSocketOnOtherPathIsRefused() throws {
        let h = try jsonHarness()
        for path in ["/", "/chat", "/ws/extra", "/api/ws"] {
            XCTAssertThrowsError(try RawWebSocketClient(port: h.port, path: path), path)
        }
        XCTAssertTrue(h.delegate.events.openedIDs.isEmpty)
        XCTAssertNoThrow(try RawWebSocketClient(port: h.port, path: "/ws"))
    }
}
