import ChatCore
import Foundation
import GRDB
import XCTest
@testable import ChatStorage

/// The shared storage suite: a test written against `StorageBackend` runs once per backend. SQLite always;
/// PostgreSQL when `CHATD_TEST_POSTGRES_URL` names a server (Scripts/test starts one through
/// Scripts/with-services), each test on a database of its own, dropped afterwards.
///
/// Write contract tests as `forEachBackend { backend, name in ... }`; a failure names the backend.
class StorageContractCase: XCTestCase {
    private var cleanups: [() -> Void] = []

    override func tearDown() {
        for cleanup in cleanups.reversed() { cleanup() }
        cleanups = []
        super.tearDown()
    }

    /// The PostgreSQL server to test against, if any.
    static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["CHATD_TEST_POSTGRES_URL"]
        return url?.isEmpty == false ? url : nil
    }

    /// Under CI (`CI` set) the PostgreSQL half of the suite must run: a missing server fails the test instead of
    /// leaving it to SQLite alone.
    static func requirePostgresUnderCI(file: StaticString = #filePath, line: UInt = #line) {
        if postgresURL == nil, ProcessInfo.processInfo.environment["CI"]?.isEmpty == false {
            XCTFail("CHATD_TEST_POSTGRES_URL is not set: under CI the tests run through Scripts/with-services",
                    file: file, line: line)
        }
    }

    /// A fresh SQLite backend in a temporary directory.
    func makeSQLite(eventIndexBatch: Int = 3) throws -> ChatStore {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("contract-\(UUID().uuidString)")
        cleanups.append { try? FileManager.default.removeItem(at: directory) }
        return try ChatStore(path: directory.appendingPathComponent("chat.sqlite").path, durability: .normal,
                             eventIndexBatch: eventIndexBatch)
    }

    /// A fresh PostgreSQL backend on a database of its own, or nil when no server is configured.
    func makePostgres() throws -> PostgresStore? {
        guard let base = Self.postgresURL else {
            Self.requirePostgresUnderCI()
            return nil
        }
        let name = "contract_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let admin = try PGConnection(url: base)
        try admin.execute("CREATE DATABASE \(name)")
        let url = Self.url(base, database: String(name))
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("contract-\(name)")
        cleanups.append {
            try? FileManager.default.removeItem(at: directory)
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
        return try PostgresStore(url: url, attachmentsRoot: directory.appendingPathComponent("attachments"))
    }

    /// `base` with its database name replaced.
    static func url(_ base: String, database: String) -> String {
        guard var components = URLComponents(string: base) else { return base }
        components.path = "/" + database
        return components.string ?? base
    }

    /// Runs `body` on a fresh SQLite backend, then on a fresh PostgreSQL one when configured. A test that needs the
    /// concrete store (PostgreSQL-only checks) casts: `backend as? PostgresStore`.
    func forEachBackend(_ body: (any StorageBackend, String) throws -> Void) throws {
        try body(try makeSQLite(), "sqlite")
        if let postgres = try makePostgres() { try body(postgres, "postgres") }
    }

    /// A new store on the same database as `backend` (a restarted server): the same SQLite file, opened as
    /// `makeSQLite` opens it, or the same PostgreSQL database and attachments directory.
    func reopen(_ backend: any StorageBackend) throws -> any StorageBackend {
        switch backend {
        case let sqlite as ChatStore:
            return try ChatStore(path: sqlite.path, durability: sqlite.durability, eventIndexBatch: sqlite.eventIndexBatch)
        case let postgres as PostgresStore:
            return try PostgresStore(url: postgres.url, attachmentsRoot: postgres.attachmentFiles.root)
        default:
            XCTFail("reopen: unknown backend \(backend.kind)")
            throw CocoaError(.featureUnsupported)
        }
    }

    /// Commits `writes` through the backend's writer, stopped before returning; fails the test on any failure.
    func commit(_ writes: [StorageWrite], to backend: any StorageBackend, file: StaticString = #filePath, line: UInt = #line) {
        let log = WriterLog()
        let writer = backend.makeWriter(capacity: max(writes.count, 1), lingerSeconds: 0,
                                        onCommit: { log.commit($0) }, onFailure: { log.fail($0) },
                                        onStorageState: { _ in })
        writer.start()
        XCTAssertTrue(writer.submit(writes), "\(backend.kind)", file: file, line: line)
        writer.stop()
        XCTAssertEqual(log.failures.map(\.message), [], "\(backend.kind)", file: file, line: line)
    }

    /// Commits `writes` through the backend's writer (stopped before returning) and returns what it reported,
    /// failures included: for tests of what the writer refuses.
    @discardableResult
    func write(_ writes: [StorageWrite], to backend: any StorageBackend, linger: Double = 0) -> WriterLog {
        let log = WriterLog()
        let writer = backend.makeWriter(capacity: max(writes.count, 1), lingerSeconds: linger,
                                        onCommit: { log.commit($0) }, onFailure: { log.fail($0) },
                                        onStorageState: { log.state($0) })
        writer.start()
        XCTAssertTrue(writer.submit(writes), backend.kind)
        writer.stop()
        return log
    }

    /// Commits `writes` as `commit` does (failing the test on any failure), then settles derived data.
    func seed(_ writes: [StorageWrite], to backend: any StorageBackend, file: StaticString = #filePath,
              line: UInt = #line) throws {
        commit(writes, to: backend, file: file, line: line)
        try backend.settle()
    }
}

/// Test-only access below the `StorageBackend` API, for the two stores the suite knows.
extension StorageBackend {
    /// Runs one SQL statement outside the API (tests of what the schema itself refuses). On a backend it does not
    /// know it fails the test and throws nothing, so an `XCTAssertThrowsError` around it fails too.
    func executeRaw(_ sql: String) throws {
        switch self {
        case let sqlite as ChatStore: try sqlite.dbPool.write { try $0.execute(sql: sql) }
        case let postgres as PostgresStore: try postgres.pool.with { _ = try $0.execute(sql) }
        default: XCTFail("executeRaw: unknown backend \(kind)")
        }
    }

    /// Brings derived data up to date (SQLite's lazy event index and search file; nothing on PostgreSQL).
    func settle() throws {
        switch self {
        case let sqlite as ChatStore:
            try sqlite.indexAllEvents()
            _ = try sqlite.indexSearch(chunk: 100_000)
        case is PostgresStore: break
        default: XCTFail("settle: unknown backend \(kind)")
        }
    }
}
