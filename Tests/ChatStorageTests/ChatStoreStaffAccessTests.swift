import ChatCore
import XCTest
@testable import ChatStorage

final class ChatStoreStaffAccessTests: StorageTestCase {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func testRevokeDeletesTokensAndLogsARevocation() throws {
        let store = try makeStore()
        let ann = try store.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "h")
        let bob = try store.createStaff(username: "bob", name: "Bob", role: .agent, passwordHash: "h")
        for (hash, id) in [("a1", ann.id), ("a2", ann.id), ("b1", bob.id)] {
            try store.insertStaffToken(hash: hash, staffID: id, createdAt: now, expiresAt: now + 3600)
        }
        XCTAssertEqual(try store.latestStaffRevocationSeq(), 0)

        XCTAssertEqual(try store.revokeStaffSessions(username: "ANN", disable: false, at: now), ann)
        XCTAssertNil(try store.staff(forTokenHash: "a1", now: now))
        XCTAssertNil(try store.staff(forTokenHash: "a2", now: now))
        XCTAssertEqual(try store.staff(forTokenHash: "b1", now: now), bob)
        XCTAssertEqual(try store.staffAccount(username: "ann")?.isDisabled, false)
        let log = try store.staffRevocations(after: 0)
        XCTAssertEqual(log.map(\.staffID), [ann.id])
        XCTAssertEqual(log.first?.reason, .sessionsRevoked)
        XCTAssertEqual(try store.latestStaffRevocationSeq(), log.first?.seq)
        XCTAssertEqual(try store.staffRevocations(after: log[0].seq), [])
    }

    func testDisableMarksTheAccountAndItsTokensStopWorking() throws {
        let store = try makeStore()
        let ann = try store.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "h")
        try store.revokeStaffSessions(username: "ann", disable: true, at: now)
        XCTAssertEqual(try store.staffAccount(username: "ann")?.isDisabled, true)
        // A token issued later (a login racing the disable) is not honoured either.
        try store.insertStaffToken(hash: "late", staffID: ann.id, createdAt: now, expiresAt: now + 3600)
        XCTAssertNil(try store.staff(forTokenHash: "late", now: now))
        XCTAssertEqual(try store.staffRevocations(after: 0).map(\.reason), [.accountDisabled])
    }

    func testUnknownUsernameChangesNothing() throws {
        let store = try makeStore()
        XCTAssertNil(try store.revokeStaffSessions(username: "nobody", disable: true, at: now))
        XCTAssertEqual(try store.latestStaffRevocationSeq(), 0)
    }
}
