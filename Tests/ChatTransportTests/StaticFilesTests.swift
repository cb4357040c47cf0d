import ChatTransport
import Foundation
import XCTest

/// Static files through the real transport: the folder's boundaries, per-path headers, and one request per connection.
final class StaticFilesTests: XCTestCase {
    private var root: URL!
    private var outside: URL!

    override func setUpWithError() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("static-files-\(UUID())")
        root = base.appendingPathComponent("web")
        outside = base.appendingPathComponent("outside")
        for dir in [root!, root.appendingPathComponent("console"), root.appendingPathComponent("widget"), outside!] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        try Data("<!doctype html><title>console</title>".utf8).write(to: root.appendingPathComponent("console/index.html"))
        try Data("export const w = 1;\n".utf8).write(to: root.appendingPathComponent("widget/widget.js"))
        try Data("TOKEN=1".utf8).write(to: root.appendingPathComponent(".env"))
        try Data("outside".utf8).write(to: outside.appendingPathComponent("secret.txt"))
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("leak.txt"),
                                                   withDestinationURL: outside.appendingPathComponent("secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("w").path, withDestinationPath: "widget")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root.deletingLastPathComponent())
    }

    private func harness() throws -> ServerHarness {
        let delegate = RecordingDelegate()
        delegate.onRequest = { server, request in
            server.respond(to: request.id, with: HTTPResponse(status: 200, body: Array("{\"ok\":true}".utf8)))
        }
        let rules = [StaticHeaderRule(pathPrefix: "/", headers: ["X-Frame-Options": "DENY"]),
                     StaticHeaderRule(pathPrefix: "/widget/", headers: ["Content-Security-Policy": "frame-ancestors 'self'"])]
        return try ServerHarness(config: TransportConfig(staticRoot: root.path, staticHeaderRules: rules), delegate: delegate)
    }

    func testLongestPrefixRuleGivesTheHeaders() throws {
        let h = try harness()
        let console = try rawHTTP(port: h.port, method: "GET", path: "/console/")
        XCTAssertEqual(console.status, 200)
        XCTAssertEqual(console.text, "<!doctype html><title>console</title>")
        XCTAssertEqual(console.headers["x-frame-options"], "DENY")
        XCTAssertNil(console.headers["content-security-policy"])
        XCTAssertEqual(console.headers["x-content-type-options"], "nosniff")
        XCTAssertEqual(console.headers["connection"], "close")
        let widget = try rawHTTP(port: h.port, method: "GET", path: "/widget/widget.js")
        XCTAssertEqual(widget.status, 200)
        XCTAssertEqual(widget.headers["content-security-policy"], "frame-ancestors 'self'")
        XCTAssertNil(widget.headers["x-frame-options"])
        XCTAssertTrue(widget.headers["content-type"]?.hasPrefix("text/javascript") ?? false)
    }

    func testDotfilesAndSymlinksOutOfTheRootAreNotFound() throws {
        let h = try harness()
        for path in ["/.env", "/leak.txt", "/console/../.env", "/nothing"] {
            let r = try rawHTTP(port: h.port, method: "GET", path: path)
            XCTAssertEqual(r.status, 404, path)
            XCTAssertFalse(r.text.contains("outside") || r.text.contains("TOKEN"), path)
        }
        XCTAssertEqual(try rawHTTP(port: h.port, method: "GET", path: "/w/widget.js").status, 200)  // link inside
        let redirect = try rawHTTP(port: h.port, method: "GET", path: "/console")
        XCTAssertEqual(redirect.status, 301)
        XCTAssertEqual(redirect.headers["location"], "/console/")
    }

    func testPipelinedRequestsGetOneAnswerThenTheConnectionCloses() throws {
        let h = try harness()
        for path in ["/healthz", "/widget/widget.js"] {
            let socket = try RawSocket(port: h.port)
            socket.write(String(repeating: "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n", count: 3))
            let text = String(decoding: try socket.readToEOF(), as: UTF8.self)
            XCTAssertEqual(text.components(separatedBy: "HTTP/1.1 ").count - 1, 1, text)
            XCTAssertTrue(text.hasPrefix("HTTP/1.1 200"), text)
            XCTAssertTrue(text.lowercased().contains("\r\nconnection: close\r\n"), text)
        }
    }

    func testResolverRules() {
        let resolver = StaticFileResolver(root: root.path)
        let real = resolver.rootRealPath!
        XCTAssertEqual(resolver.resolve("/console/"), .file(path: real + "/console/index.html",
                                                            contentType: "text/html; charset=utf-8"))
        XCTAssertEqual(resolver.resolve("/console"), .redirect(location: "/console/"))
        XCTAssertEqual(resolver.resolve("/../outside/secret.txt"), .notFound)
        XCTAssertEqual(resolver.resolve("/.env"), .notFound)
        XCTAssertEqual(resolver.resolve("/leak.txt"), .notFound)
        XCTAssertEqual(resolver.resolve("relative"), .notFound)
        XCTAssertEqual(StaticFileResolver(root: "/no/such/folder").resolve("/"), .notFound)
    }
}
