import ChatCore
import XCTest
@testable import ChatStorage

final class ChatStoreStaffTests: StorageTestCase {
    func testCreateAndReadStaffAccounts() throws {
        let store = try makeStore()
        let ann = try store.createStaff(username: "ann", name: "Ann Agent", role: .agent, passwordHash: "h1")
        let sue = try store.createStaff(username: "sue", name: "Sue Super", role: .supervisor, passwordHash: "h2")
        XCTAssertNotEqual(ann.id, sue.id)
        XCTAssertEqual(ann, StaffIdentity(id: ann.id, username: "ann", name: "Ann Agent", role: .agent))

        XCTAssertEqual(try store.staffAccount(username: "sue"), StaffAccount(identity: sue, passwordHash: "h2"))
        XCTAssertNil(try store.staffAccount(username: "bob"))
        XCTAssertEqual(try store.staff(id: ann.id), ann)
        XCTAssertNil(try store.staff(id: 999))
        XCTAssertEqual(try store.allStaff(), [ann, sue])
    }

    func testDuplicateUsernameIsRefusedCaseInsensitively() throws {
        let store = try makeStore()
        try store.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "h")
        for username in ["ann", "ANN"] {
            XCTAssertThrowsError(try store.createStaff(username: username, name: "X", role: .agent,
                                                       passwordHash: "h")) { error in
                XCTAssertEqual((error as? StorageError)?.code, "username_taken")
            }
        }
        XCTAssertEqual(try store.allStaff().count, 1)
    }

    func testTokenIsValidStrictlyBeforeItsExpiry() throws {
        let store = try makeStore()
        let ann = try store.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "h")
        try store.insertStaffToken(hash: "tok", staffID: ann.id, createdAt: Fixture.t0,
                                   expiresAt: Fixture.at(3600))

        XCTAssertEqual(try store.staff(forTokenHash: "tok", now: Fixture.t0), ann)
        XCTAssertEqual(try store.staff(forTokenHash: "tok", now: Fixture.at(3599.75)), ann)
        XCTAssertNil(try store.staff(forTokenHash: "tok", now: Fixture.at(3600)), "expires_at <= now is expired")
        XCTAssertNil(try store.staff(forTokenHash: "other", now: Fixture.t0))
    }

    func testTokenDeletionAndExpiredTokenSweep() throws {
        let store = try makeStore()
        let ann = try store.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "h")
        try store.insertStaffToken(hash: "old", staffID: ann.id, createdAt: Fixture.t0, expiresAt: Fixture.at(10))
        try store.insertStaffToken(hash: "edge", staffID: ann.id, createdAt: Fixture.t0, expiresAt: Fixture.at(20))
        try store.insertStaffToken(hash: "new", staffID: ann.id, createdAt: Fixture.t0, expiresAt: Fixture.at(30))
        try store.insertStaffToken(hash: "gone", staffID: ann.id, createdAt: Fixture.t0, expiresAt: Fixture.at(30))

        XCTAssertTrue(try store.deleteStaffToken(hash: "gone"))
        XCTAssertFalse(try store.deleteStaffToken(hash: "gone"))
        XCTAssertNil(try store.staff(forTokenHash: "gone", now: Fixture.t0))

        XCTAssertEqual(try store.deleteExpiredStaffTokens(now: Fixture.at(20)), 2, "old and edge")
        // The sweep removed rows, not just hid them: an earlier `now` no longer finds them.
        XCTAssertNil(try store.staff(forTokenHash: "old", now: Fixture.t0))
        XCTAssertNil(try store.staff(forTokenHash: "edge", now: Fixture.t0))
        XCTAssertEqual(try store.staff(forTokenHash: "new", now: Fixture.t0), ann)
    }

    func testTokenErrors() throws {
        let store = try makeStore()
        let ann = try store.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "h")
        XCTAssertThrowsError(try store.insertStaffToken(hash: "t", staffID: ann.id + 100, createdAt: Fixture.t0,
                                                        expiresAt: Fixture.at(60))) { error in
            XCTAssertEqual((error as? StorageError)?.code, "not_found")
        }
        try store.insertStaffToken(hash: "t", staffID: ann.id, createdAt: Fixture.t0, expiresAt: Fixture.at(60))
        XCTAssertThrowsError(try store.insertStaffToken(hash: "t", staffID: ann.id, createdAt: Fixture.t0,
                                                        expiresAt: Fixture.at(90))) { error in
            XCTAssertEqual((error as? StorageError)?.code, "token_exists")
        }
    }

    func testTokensAreDeletedWithTheirAccount() throws {
        let store = try makeStore()
        let ann = try store.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "h")
        try store.insertStaffToken(hash: "t", staffID: ann.id, createdAt: Fixture.t0, expiresAt: Fixture.at(60))
        try store.dbPool.write { db in try db.execute(sql: "DELETE FROM staff WHERE id = ?", arguments: [ann.id]) }
        let tokens = try store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM staff_tokens") }
        XCTAssertEqual(tokens, 0)
    }
}
