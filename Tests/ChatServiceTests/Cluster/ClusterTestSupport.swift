import Foundation
import Logging
import XCTest

/// URLs of the servers the cluster tests need (Scripts/test starts them through Scripts/with-services). Without them
/// the tests are skipped on a developer's `swift test`, but fail under CI (`CI` set): there a missing server is a
/// broken set-up, never a reason to pass.
enum ClusterTestServers {
    static func redisURL() throws -> String { try required("CHATD_TEST_REDIS_URL") }
    static func postgresURL() throws -> String { try required("CHATD_TEST_POSTGRES_URL") }

    private static func required(_ variable: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment[variable], !url.isEmpty { return url }
        if environment["CI"]?.isEmpty == false {
            throw MissingTestService(variable: variable)
        }
        throw XCTSkip("\(variable) is not set (run through Scripts/with-services)")
    }
}

/// The test's own redis-server never accepted connections.
struct PrivateRedisDidNotStart: Error, CustomStringConvertible {
    let port: Int
    var description: String { "redis-server did not start on port \(port)" }
}

/// A server the tests need is not configured where it must be (CI).
struct MissingTestService: Error, CustomStringConvertible {
    let variable: String
    var description: String { "\(variable) is not set: under CI the tests run through Scripts/with-services" }
}

extension ClusterTestServers {
    static var logger: Logger {
        var logger = Logger(label: "chatd.cluster.test")
        logger.logLevel = .error
        return logger
    }
}

/// Collects what callbacks report, from any thread, and waits (bounded) for a condition on it.
final class Recorder<Event: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var storage: [Event] = []

    func record(_ event: Event) {
        condition.withLock {
            storage.append(event)
            condition.broadcast()
        }
    }

    var events: [Event] { condition.withLock { storage } }

    /// Waits until `predicate` holds for the events (true) or `timeout` passes (false).
    @discardableResult
    func wait(timeout: Double = 10, until predicate: ([Event]) -> Bool) -> Bool {
        condition.withLock {
            let deadline = Date().addingTimeInterval(timeout)
            while !predicate(storage) {
                if !condition.wait(until: deadline) && Date() >= deadline { return predicate(storage) }
            }
            return true
        }
    }
}

/// A TCP port nothing listens on right now (bound to port 0 and released).
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A private redis-server on a loopback port, for tests that stop and restart Redis.
final class PrivateRedisServer {
    let port: Int
    private var process: Process?

    init(port: Int) { self.port = port }

    var url: String { "redis://127.0.0.1:\(port)" }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--daemonize", "no", "--loglevel", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Ready when it accepts connections.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if canConnect() { return }
            usleep(20_000)
        }
        process.terminate()
        throw PrivateRedisDidNotStart(port: port)  // a failure, not a skip: the test needs it
    }

    func stop() {
        guard let process else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }

    private func canConnect() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
