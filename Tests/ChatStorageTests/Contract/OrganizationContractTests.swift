import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// Organizations on every backend (the first contract test; the pattern the others follow).
final class OrganizationContractTests: StorageContractCase {
    func testCreatedOrganizationsReadBackAndChange() throws {
        try forEachBackend { backend, name in
            try backend.createOrganization(id: "acme", name: "Acme", planID: "hv", regionID: "usa",
                                           createdAt: Fixture.at(0))
            try backend.createOrganization(id: "zeta", name: "Zeta Corp", planID: "basic", regionID: nil,
                                           createdAt: Fixture.at(1))
            XCTAssertEqual(try backend.organization(id: "acme")?.name, "Acme", name)
            XCTAssertEqual(try backend.organization(id: "acme")?.planID, "hv", name)
            XCTAssertNil(try backend.organization(id: "nobody"), name)
            try backend.setOrganizationPlan(id: "zeta", planID: "enterprise")
            try backend.setOrganizationRegion(id: "zeta", regionID: "spain")
            let zeta = try backend.organization(id: "zeta")
            XCTAssertEqual(zeta?.planID, "enterprise", name)
            XCTAssertEqual(zeta?.regionID, "spain", name)
            XCTAssertEqual(try backend.organizations().map(\.id).sorted(), ["acme", "zeta"], name)
            XCTAssertEqual(try backend.organizationNames(ids: ["acme", "zeta", "none"]), ["acme": "Acme", "zeta": "Zeta Corp"], name)
            XCTAssertEqual(try backend.organizations(matchingPrefix: "ze", limit: 5).map(\.id), ["zeta"], name)
        }
    }
}
