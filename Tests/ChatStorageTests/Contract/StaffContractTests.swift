import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Organizations, staff, sign-in tokens and revocations on every backend.
final class StaffContractTests: StorageContractCase {
    func testOrganizationsRefuseDuplicatesAndMissingOnes() throws {
        try forEachBackend { backend, name in
            try backend.createOrganization(id: "acme", name: "Acme", planID: "hv", regionID: nil, createdAt: Fixture.at(0))
            try backend.createOrganization(id: "b_co", name: "beta", planID: "hv", regionID: nil, createdAt: Fixture.at(0))
            XCTAssertThrowsError(try backend.createOrganization(id: "acme", name: "Again", planID: "x", regionID: nil,
                                                                createdAt: Fixture.at(1))) {
                XCTAssertEqual(($0 as? StorageError)?.code, "organization_exists", name)
            }
            XCTAssertThrowsError(try backend.setOrganizationPlan(id: "none", planID: "x")) {
                XCTAssertEqual(($0 as? StorageError)?.code, "not_found", name)
            }
            XCTAssertEqual(try backend.organizations(matchingPrefix: "", limit: 10).map(\.id), ["acme", "b_co"], name)
            XCTAssertEqual(try backend.organizations(matchingPrefix: "B", limit: 10).map(\.id), ["b_co"], name)
            XCTAssertEqual(try backend.organizations(matchingPrefix: "b_", limit: 10).map(\.id), ["b_co"], name)
            XCTAssertEqual(try backend.organizations(matchingPrefix: "a%", limit: 10).map(\.id), [], name)
        }
    }

    func testStaffTokensAndRevocations() throws {
        try forEachBackend { backend, name in
            let ann = try backend.createStaff(username: "Ann", name: "Ann A", role: .agent, passwordHash: "h1", createdAt: Fixture.at(0))
            let bob = try backend.createStaff(username: "bob", name: "Bob B", role: .supervisor, passwordHash: "h2", createdAt: Fixture.at(0))
            XCTAssertThrowsError(try backend.createStaff(username: "ANN", name: "x", role: .agent, passwordHash: "h", createdAt: Fixture.at(0))) {
                XCTAssertEqual(($0 as? StorageError)?.code, "username_taken", name)
            }
            XCTAssertEqual(try backend.staffAccount(username: "ann")?.identity, ann, name)
            XCTAssertEqual(try backend.staffAccount(username: "ann")?.passwordHash, "h1", name)
            XCTAssertEqual(try backend.staff(id: bob.id), bob, name)
            XCTAssertEqual(try backend.allStaff(), [ann, bob], name)
            XCTAssertEqual(try backend.staffNames(ids: [ann.id, 999]), [ann.id: "Ann A"], name)

            try backend.insertStaffToken(hash: "t1", staffID: ann.id, createdAt: Fixture.at(0), expiresAt: Fixture.at(100))
            try backend.insertStaffToken(hash: "t2", staffID: ann.id, createdAt: Fixture.at(0), expiresAt: Fixture.at(10))
            try backend.insertStaffToken(hash: "t3", staffID: bob.id, createdAt: Fixture.at(0), expiresAt: Fixture.at(100))
            XCTAssertThrowsError(try backend.insertStaffToken(hash: "t1", staffID: bob.id, createdAt: Fixture.at(0), expiresAt: Fixture.at(1))) {
                XCTAssertEqual(($0 as? StorageError)?.code, "token_exists", name)
            }
            XCTAssertThrowsError(try backend.insertStaffToken(hash: "t9", staffID: 999, createdAt: Fixture.at(0), expiresAt: Fixture.at(1))) {
                XCTAssertEqual(($0 as? StorageError)?.code, "not_found", name)
            }
            XCTAssertEqual(try backend.staff(forTokenHash: "t1", now: Fixture.at(50)), ann, name)
            XCTAssertNil(try backend.staff(forTokenHash: "t2", now: Fixture.at(50)), "\(name): expired")
            XCTAssertEqual(try backend.deleteExpiredStaffTokens(now: Fixture.at(50)), 1, name)
            XCTAssertTrue(try backend.deleteStaffToken(hash: "t3"), name)
            XCTAssertFalse(try backend.deleteStaffToken(hash: "t3"), name)

            XCTAssertEqual(try backend.latestStaffRevocationSeq(), 0, name)
            XCTAssertEqual(try backend.revokeStaffSessions(username: "ANN", disable: false, at: Fixture.at(60)), ann, name)
            XCTAssertNil(try backend.staff(forTokenHash: "t1", now: Fixture.at(61)), "\(name): revoked")
            try backend.insertStaffToken(hash: "t4", staffID: ann.id, createdAt: Fixture.at(62), expiresAt: Fixture.at(200))
            XCTAssertEqual(try backend.staff(forTokenHash: "t4", now: Fixture.at(63)), ann, name)
            XCTAssertEqual(try backend.revokeStaffSessions(username: "ann", disable: true, at: Fixture.at(64)), ann, name)
            XCTAssertNil(try backend.revokeStaffSessions(username: "nobody", disable: true, at: Fixture.at(64)), name)
            XCTAssertEqual(try backend.staffAccount(username: "ann")?.isDisabled, true, name)
            try backend.insertStaffToken(hash: "t5", staffID: ann.id, createdAt: Fixture.at(65), expiresAt: Fixture.at(200))
            XCTAssertNil(try backend.staff(forTokenHash: "t5", now: Fixture.at(66)), "\(name): disabled")
            let revocations = try backend.staffRevocations(after: 0, limit: 10)
            XCTAssertEqual(revocations.map(\.reason), [.sessionsRevoked, .accountDisabled], name)
            XCTAssertEqual(revocations.map(\.staffID), [ann.id, ann.id], name)
            XCTAssertEqual(try backend.latestStaffRevocationSeq(), revocations.last?.seq, name)
            XCTAssertEqual(try backend.staffRevocations(after: revocations[0].seq, limit: 10).count, 1, name)
        }
    }

    func testServiceOrdersRecordedDirectly() throws {
        try forEachBackend { backend, name in
            let order = StoredServiceOrder(sessionID: 4, organizationID: "acme", contactID: "c1", description: "Install",
                                           rateID: "std", hourlyRate: 99.5, currency: "EUR", estimateHours: nil,
                                           proposedBy: 3, acceptedAt: Fixture.at(1.125))
            let id = try backend.recordServiceOrder(order)
            var expected = order
            expected.id = id
            XCTAssertEqual(try backend.serviceOrders(sessionID: 4), [expected], name)
        }
    }
}
