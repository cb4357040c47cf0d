import ChatCore
import Foundation
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

    /// A fresh SQLite backend in a temporary directory.
    func makeSQLite(eventIndexBatch: Int = 3) throws -> ChatStore {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("contract-\(UUID().uuidString)")
        cleanups.append { try? FileManager.default.removeItem(at: directory) }
        return try ChatStore(path: directory.appendingPathComponent("chat.sqlite").path, durability: .normal,
                             eventIndexBatch: eventIndexBatch)
    }

    /// A fresh PostgreSQL backend on a database of its own, or nil when no server is configured.
    func makePostgres() throws -> PostgresStore? {
        guard let base = Self.postgresURL else { return nil }
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

    /// Runs `body` on a fresh SQLite backend, then on a fresh PostgreSQL one when configured.
    func forEachBackend(_ body: (any StorageBackend, String) throws -> Void) throws {
        try body(try makeSQLite(), "sqlite")
        if let postgres = try makePostgres() {
            guard let backend = postgres as Any as? any StorageBackend else {
                XCTFail("PostgresStore does not conform to StorageBackend yet")
                return
            }
            try body(backend, "postgres")
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
}
