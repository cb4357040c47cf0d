import ChatCore
import GRDB
import XCTest
@testable import ChatStorage

final class ChatStoreMigrationTests: StorageTestCase {
    func testFreshFileIsCreatedWithParentDirectoryAndMigrated() throws {
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path))
        let store = try makeStore()
        XCTAssertTrue(FileManager.default.fileExists(atPath: databasePath))
        XCTAssertEqual(try store.appliedMigrations(), ["v1-core", "v2-tickets", "v3-chat-policy", "v4-ledgers", "v5-oncall-outbox", "v6-staff-access",
                                                       "v7-session-aggregates", "v8-lean-events", "v9-event-log", "v10-search", "v11-satisfaction", "v12-canned-replies", "v13-search-header", "v14-audit", "v15-search-file", "v16-ticket-work", "v17-attachments"])

        let tables = try store.dbPool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        for table in ["organizations", "organization_contacts", "staff", "staff_tokens", "sessions",
                      "events", "event_index", "event_index_state", "read_markers"] {
            XCTAssertTrue(tables.contains(table), "missing table \(table)")
        }
        let indexes = try store.dbPool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        }
        XCTAssertFalse(tables.contains("session_events"), "replaced by the event log (v9)")
        XCTAssertEqual(indexes.filter { $0.hasPrefix("events") }, [], "the log has no index but its key (v9)")
        XCTAssertTrue(indexes.contains("sessions_by_request"))
        XCTAssertTrue(indexes.contains("sessions_by_organization"))
    }

    func testWalModeBusyTimeoutAndDurabilityPragmas() throws {
        let full = try ChatStore(path: databasePath, durability: .full)
        let (journal, synchronous, timeout) = try full.dbPool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA busy_timeout"))
        }
        XCTAssertEqual(journal, "wal")
        XCTAssertEqual(synchronous, 2, "FULL")
        XCTAssertEqual(timeout, 5000)

        let normal = try ChatStore(path: databasePath, durability: .normal)
        let normalSynchronous = try normal.dbPool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        XCTAssertEqual(normalSynchronous, 1, "NORMAL")
    }

    func testReopeningAnExistingFileKeepsDataAndDoesNotRemigrate() throws {
        do {
            let store = try makeStore()
            try store.createOrganization(id: "acme", name: "Acme", planID: "hv", createdAt: Fixture.t0)
            commit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1))], to: store)
        }
        let reopened = try makeStore()
        XCTAssertEqual(try reopened.appliedMigrations(), ["v1-core", "v2-tickets", "v3-chat-policy", "v4-ledgers", "v5-oncall-outbox", "v6-staff-access",
                                                       "v7-session-aggregates", "v8-lean-events", "v9-event-log", "v10-search", "v11-satisfaction", "v12-canned-replies", "v13-search-header", "v14-audit", "v15-search-file", "v16-ticket-work", "v17-attachments"])
        XCTAssertEqual(try reopened.organization(id: "acme")?.planID, "hv")
        XCTAssertEqual(try reopened.session(id: 1), Fixture.session(1))
        XCTAssertEqual(try reopened.events(sessionID: 1), [Fixture.message(1, seq: 1)])
    }

    func testTwoStoresOnOneFileSeeEachOthersWrites() throws {
        // The admin CLI opens the same file from another process; two pools model that here.
        let server = try makeStore()
        let admin = try makeStore()
        try admin.createOrganization(id: "acme", name: "Acme", planID: "hv")
        XCTAssertEqual(try server.organization(id: "acme")?.name, "Acme")
    }
}
