import ChatCore
import XCTest
@testable import ChatStorage

final class ChatStoreOrganizationTests: StorageTestCase {
    func testCreateReadAndChangePlan() throws {
        let store = try makeStore()
        XCTAssertNil(try store.organization(id: "acme"))
        try store.createOrganization(id: "zeta", name: "Zeta Print", planID: "basic")
        try store.createOrganization(id: "acme", name: "Acme Print", planID: "hv")

        XCTAssertEqual(try store.organization(id: "acme"),
                       OrganizationRecord(id: "acme", name: "Acme Print", planID: "hv", authorizedContacts: []))
        try store.setOrganizationPlan(id: "acme", planID: "enterprise")
        XCTAssertEqual(try store.organization(id: "acme")?.planID, "enterprise")
        XCTAssertEqual(try store.organizations().map(\.id), ["acme", "zeta"])
        XCTAssertEqual(try store.organization(id: "zeta")?.planID, "basic", "only the named organization changes")
    }

    func testDuplicateOrganizationIsRefusedAndKeepsTheOriginal() throws {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        XCTAssertThrowsError(try store.createOrganization(id: "acme", name: "Other", planID: "basic")) { error in
            XCTAssertEqual((error as? StorageError)?.code, "organization_exists")
        }
        XCTAssertEqual(try store.organization(id: "acme")?.name, "Acme")
    }

    func testChangingThePlanOfAnUnknownOrganizationIsNotFound() throws {
        let store = try makeStore()
        XCTAssertThrowsError(try store.setOrganizationPlan(id: "nobody", planID: "hv")) { error in
            XCTAssertEqual((error as? StorageError)?.code, "not_found")
        }
    }

    func testRegisteredContactsAreListedOnceWithTheirOrganization() throws {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        try store.createOrganization(id: "zeta", name: "Zeta", planID: "hv")
        commit([.registerContact("acme", "c1"), .registerContact("acme", "c2"), .registerContact("acme", "c1"),
                .registerContact("zeta", "z1")], to: store)

        XCTAssertEqual(try store.organization(id: "acme")?.authorizedContacts, ["c1", "c2"])
        let all = try store.organizations()
        XCTAssertEqual(all.map(\.authorizedContacts), [["c1", "c2"], ["z1"]])
        let rows = try store.dbPool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM organization_contacts") }
        XCTAssertEqual(rows, 3)
    }
}
