import Foundation
import XCTest
@testable import ChatService
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP receiver on 127.0.0.1 for the on-call tests: one thread accepts connections one at a time,
/// reads one request from each, records it, and answers the next status of `statuses` (the last one repeats),
/// or, with `answers: false`, holds the connection open without a word until `stop()`.
final class OnCallTestReceiver: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        /// Header names lowercased.
        var headers: [String: String]
        var body: [UInt8]
    }

    struct SetupError: Error { var message: String }

    let port: UInt16
    private let listener: Int32
    private let statuses: [Int]
    private let answers: Bool
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var recorded: [Request] = []
    private var held: [Int32] = []
    private var stopping = false
    private var finished = false

    init(statuses: [Int] = [200], answers: Bool = true) throws {
        self.statuses = statuses
        self.answers = answers
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SetupError(message: "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw SetupError(message: "bind/listen failed")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in self.run() }
        thread.name = "oncall.test.receiver"
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)/hooks/oncall" }

    var requests: [Request] {
        condition.lock()
        defer { condition.unlock() }
        return recorded
    }

    /// Waits (on a condition, bounded) until `count` requests have been read.
    @discardableResult
    func waitForRequests(_ count: Int, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while recorded.count < count {
            if !condition.wait(until: deadline) { return recorded.count >= count }
        }
        return true
    }

    func stop() {
        condition.lock()
        stopping = true
        while !finished { condition.wait() }
        condition.unlock()
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    private func run() {
        var index = 0
        while !isStopping {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 20) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var limit = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            let request = Self.readRequest(connection)
            condition.lock()
            if let request { recorded.append(request) }
            condition.broadcast()
            condition.unlock()
            if answers {
                let status = statuses[min(index, statuses.count - 1)]
                let reply = Array("HTTP/1.1 \(status) Test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
                _ = reply.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(connection)
            } else {
                condition.lock()
                held.append(connection)
                condition.unlock()
            }
            index += 1
        }
        condition.lock()
        held.forEach { close($0) }
        held = []
        close(listener)
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private static func readRequest(_ fd: Int32) -> Request? {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let separator = Array("\r\n\r\n".utf8)
        func headEnd() -> Int? {
            guard data.count >= 4 else { return nil }
            for i in 0...(data.count - 4) where Array(data[i..<i + 4]) == separator { return i }
            return nil
        }
        while headEnd() == nil {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            data.append(contentsOf: chunk[0..<count])
        }
        let end = headEnd()!
        let head = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = head[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(data[(end + 4)...])
        while body.count < length {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            body.append(contentsOf: chunk[0..<count])
        }
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body)
    }
}

/// A TCP port on 127.0.0.1 that is bound but not listening, so connecting to it is refused for as long as
/// the returned socket stays open (no other process can take the port meanwhile).
func onCallRefusingPort() -> (socket: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, UInt16(bigEndian: address.sin_port))
}

final class OnCallHTTPTransportTests: XCTestCase {
    func testPostsOneRequestAndReturnsTheStatus() throws {
        let receiver = try OnCallTestReceiver(statuses: [202])
        defer { receiver.stop() }
        let body = Array(#"{"hello":"world"}"#.utf8)
        let result = CurlWebhookTransport().post(url: receiver.url, headers: ["X-Chatd-Event": "urgent_ticket",
                                                                               "Content-Type": "application/json"],
                                                 body: body, timeout: 10)
        XCTAssertEqual(result, .success(202))
        let request = try XCTUnwrap(receiver.requests.first)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.path, "/hooks/oncall")
        XCTAssertEqual(request.headers["host"], "127.0.0.1:\(receiver.port)")
        XCTAssertEqual(request.headers["content-length"], String(body.count))
        XCTAssertEqual(request.headers["content-type"], "application/json")
        XCTAssertEqual(request.headers["x-chatd-event"], "urgent_ticket")
        XCTAssertNil(request.headers["expect"])
        XCTAssertEqual(request.body, body)
    }

    func testConnectionRefusedIsAConnectionError() {
        let refusing = onCallRefusingPort()
        defer { close(refusing.socket) }
        let result = CurlWebhookTransport().post(url: "http://127.0.0.1:\(refusing.port)/", headers: [:], body: [],
                                                 timeout: 10)
        XCTAssertEqual(result.failureCase, "connectionFailed", "\(result)")
    }

    func testAReceiverThatNeverAnswersTimesOut() throws {
        let receiver = try OnCallTestReceiver(answers: false)
        defer { receiver.stop() }
        let result = CurlWebhookTransport().post(url: receiver.url, headers: [:], body: [1, 2, 3], timeout: 0.3)
        XCTAssertEqual(result.failureCase, "timedOut", "\(result)")
    }

    func testRefusesOtherSchemesAndHeaderInjection() {
        XCTAssertEqual(CurlWebhookTransport().post(url: "ftp://127.0.0.1/", headers: [:], body: [], timeout: 1)
                        .failureCase, "unsupportedScheme")
        XCTAssertEqual(CurlWebhookTransport().post(url: "http://127.0.0.1:1/", headers: ["X-A": "b\r\nX-Evil: 1"],
                                                   body: [], timeout: 1).failureCase, "invalidHeader")
    }

    func testARedirectIsAnAnswerNotFollowed() throws {
        let receiver = try OnCallTestReceiver(statuses: [307])
        defer { receiver.stop() }
        XCTAssertEqual(CurlWebhookTransport().post(url: receiver.url, headers: [:], body: [1], timeout: 5), .success(307))
        XCTAssertEqual(receiver.requests.count, 1)
    }

    /// HTTPS against a receiver whose certificate a private CA signed: trusted with `caFile`, refused without it.
    func testHTTPSVerifiesTheCertificateAgainstTheGivenCA() throws {
        let receiver = try TLSTestReceiver()
        defer { receiver.stop() }
        XCTAssertEqual(CurlWebhookTransport(caFile: receiver.caFile).post(url: receiver.url, headers: ["X-A": "b"],
                                                                          body: Array("{}".utf8), timeout: 10), .success(204))
        XCTAssertEqual(receiver.bodies(), ["{}"])
        XCTAssertEqual(CurlWebhookTransport().post(url: receiver.url, headers: [:], body: [], timeout: 10).failureCase,
                       "tlsFailed", "the system's CAs do not know the private CA")
        XCTAssertEqual(CurlWebhookTransport(caFile: receiver.caFile)
                        .post(url: receiver.url.replacingOccurrences(of: "localhost", with: "127.0.0.1"), headers: [:],
                              body: [], timeout: 10).failureCase, "tlsFailed", "the certificate names localhost only")
    }
}

/// An HTTPS receiver for tests: a private CA and a certificate for `localhost` made with the `openssl` command,
/// served by Python's `http.server` over TLS on a free loopback port; answers 204 and records bodies.
final class TLSTestReceiver: @unchecked Sendable {
    let directory: URL
    let caFile: String
    let port: Int
    private let receiverProcess: Process
    var url: String { "https://localhost:\(port)/hooks/oncall" }

    init() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dir = directory.path
        caFile = dir + "/ca.pem"
        try Self.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=chatd test CA",
                                          "-keyout", dir + "/ca.key", "-out", caFile])
        try Self.run("/usr/bin/openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                                          "-keyout", dir + "/server.key", "-out", dir + "/server.csr"])
        try "subjectAltName=DNS:localhost\n".write(toFile: dir + "/san.ext", atomically: true, encoding: .utf8)
        try Self.run("/usr/bin/openssl", ["x509", "-req", "-in", dir + "/server.csr", "-CA", caFile, "-CAkey", dir + "/ca.key",
                                          "-CAcreateserial", "-days", "2", "-extfile", dir + "/san.ext", "-out", dir + "/server.pem"])
        let script = """
            import http.server, ssl, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    n = int(self.headers.get('content-length', 0))
                    open(sys.argv[1] + '/bodies', 'a').write(self.rfile.read(n).decode() + '\\n')
                    self.send_response(204); self.end_headers()
                def log_message(self, *a): pass
            s = http.server.HTTPServer(('127.0.0.1', 0), H)
            c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1] + '/server.pem', sys.argv[1] + '/server.key')
            s.socket = c.wrap_socket(s.socket, server_side=True)
            print(s.server_address[1], flush=True)
            s.serve_forever()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, dir]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw OnCallTestReceiver.SetupError(message: "the TLS receiver did not start: \(line)")
        }
        receiverProcess = process
        self.port = port
    }

    func bodies() -> [String] {
        ((try? String(contentsOfFile: directory.path + "/bodies", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    func stop() {
        receiverProcess.terminate()
        receiverProcess.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OnCallTestReceiver.SetupError(message: "\(tool) \(arguments.joined(separator: " ")) failed")
        }
    }
}

extension Result where Failure == WebhookError {
    /// The error's case name, for assertions that do not care about the sentence.
    var failureCase: String? {
        guard case .failure(let error) = self else { return nil }
        return String(describing: Mirror(reflecting: error).children.first?.label ?? "")
    }
}
