import ChatCore
import GRDB
import XCTest
@testable import ChatStorage

final class AuditLogTests: StorageTestCase {
    func entry(_ offset: Double, staff: StaffID = 1, name: String = "Sue", role: StaffRole = .supervisor,
               _ action: AuditAction, target: String? = nil, detail: String? = nil) -> AuditEntry {
        AuditEntry(at: Fixture.at(offset), staffID: staff, staffName: name, staffRole: role, action: action,
                   target: target, detail: detail, address: "10.0.0.\(staff)")
    }

    func testEntriesComeBackNewestFirstWithEveryField() throws {
        let store = try makeStore()
        let ids = try store.appendAudit([entry(0, .transcriptList, detail: "organization=acme"),
                                         entry(1, staff: 2, name: "Ann", role: .agent, .transcriptRead, target: "7",
                                               detail: "afterSeq=0&limit=500")])
        XCTAssertEqual(ids.count, 2)
        XCTAssertLessThan(ids[0], ids[1])
        let page = try store.auditEntries(matching: AuditFilter())
        XCTAssertEqual(page.entries.map(\.id), ids.reversed())
        var expected = entry(1, staff: 2, name: "Ann", role: .agent, .transcriptRead, target: "7", detail: "afterSeq=0&limit=500")
        expected.id = ids[1]
        XCTAssertEqual(page.entries.first, expected)
        XCTAssertNil(page.nextBefore)
    }

    func testFiltersByStaffActionAndHalfOpenDateRange() throws {
        let store = try makeStore()
        try store.appendAudit([entry(0, .transcriptList), entry(10, staff: 2, .transcriptRead, target: "1"),
                               entry(20, .transcriptExport, target: "1"), entry(30, staff: 2, .listExport)])
        func actions(_ filter: AuditFilter) throws -> [AuditAction] { try store.auditEntries(matching: filter).entries.map(\.action) }
        XCTAssertEqual(try actions(AuditFilter(staffID: 2)), [.listExport, .transcriptRead])
        XCTAssertEqual(try actions(AuditFilter(action: .transcriptExport)), [.transcriptExport])
        XCTAssertEqual(try actions(AuditFilter(from: Fixture.at(10), to: Fixture.at(30))), [.transcriptExport, .transcriptRead])
        XCTAssertEqual(try actions(AuditFilter(staffID: 2, action: .listExport, from: Fixture.at(31))), [])
    }

    func testKeysetPagesCoverEveryEntryOnceWhileNewOnesArrive() throws {
        let store = try makeStore()
        try store.appendAudit((0..<7).map { entry(Double($0), .transcriptRead, target: String($0)) })
        var seen: [String] = []
        var filter = AuditFilter(limit: 3)
        while true {
            let page = try store.auditEntries(matching: filter)
            seen += page.entries.compactMap(\.target)
            try store.appendAudit([entry(100, .auditRead)])  // newer: never on a later page
            guard let next = page.nextBefore else { break }
            filter.beforeID = next
        }
        XCTAssertEqual(seen, ["6", "5", "4", "3", "2", "1", "0"])
    }

    func testTheTableIsAppendOnly() throws {
        let store = try makeStore()
        try store.appendAudit([entry(0, .transcriptRead, target: "1")])
        for sql in ["UPDATE audit_log SET staff_name = 'Mallory'", "DELETE FROM audit_log"] {
            XCTAssertThrowsError(try store.dbPool.write { db in try db.execute(sql: sql) }, sql) { error in
                XCTAssertTrue("\(error)".contains("append-only"), "\(error)")
            }
        }
        XCTAssertEqual(try store.auditEntries(matching: AuditFilter()).entries.map(\.staffName), ["Sue"])
    }
}
