import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// The audit log and canned replies on every backend.
final class AuditContractTests: StorageContractCase {
    func entry(_ offset: Double, staff: StaffID = 1, action: AuditAction = .transcriptRead, target: String? = "42") -> AuditEntry {
        AuditEntry(at: Fixture.at(offset), staffID: staff, staffName: "Sam \(staff)", staffRole: .supervisor, action: action,
                   target: target, detail: nil, address: "127.0.0.1")
    }

    func testEntriesFiltersPagesAndAppendOnly() throws {
        try forEachBackend { store, name in
            let ids = try store.appendAudit((0..<7).map { entry(Double($0), staff: $0 % 2 == 0 ? 1 : 2,
                                                                action: $0 == 3 ? .transcriptExport : .transcriptRead) })
            XCTAssertEqual(ids.count, 7, name)
            XCTAssertEqual(ids, ids.sorted(), name)
            let newest = try store.auditEntries(matching: AuditFilter(limit: 3))
            XCTAssertEqual(newest.entries.map(\.id), Array(ids.reversed().prefix(3)), name)
            XCTAssertEqual(newest.entries.first?.at, Fixture.at(6), name)
            XCTAssertEqual(newest.entries.first?.address, "127.0.0.1", name)
            XCTAssertEqual(newest.nextBefore, ids[4], name)
            var filter = AuditFilter(limit: 3)
            var all: [Int64] = []
            while true {
                let page = try store.auditEntries(matching: filter)
                all += page.entries.map(\.id)
                guard let next = page.nextBefore else { break }
                filter.beforeID = next
            }
            XCTAssertEqual(all, ids.reversed(), name)
            XCTAssertEqual(try store.auditEntries(matching: AuditFilter(staffID: 2)).entries.count, 3, name)
            XCTAssertEqual(try store.auditEntries(matching: AuditFilter(action: .transcriptExport)).entries.map(\.id),
                           [ids[3]], name)
            XCTAssertEqual(try store.auditEntries(matching: AuditFilter(from: Fixture.at(2), to: Fixture.at(4))).entries
                .map(\.id), [ids[3], ids[2]], "half-open range (\(name))")
            XCTAssertThrowsError(try store.executeRaw("UPDATE audit_log SET staff_name = 'x'"), "append-only (\(name))")
            XCTAssertThrowsError(try store.executeRaw("DELETE FROM audit_log"), "append-only (\(name))")
            XCTAssertEqual(try store.auditEntries(matching: AuditFilter()).entries.count, 7, name)
        }
    }

    func testCannedRepliesSharedAndPersonal() throws {
        try forEachBackend { store, name in
            let ann = try store.createStaff(username: "ann", name: "Ann", role: .agent, passwordHash: "x",
                                            createdAt: Fixture.at(0))
            let bob = try store.createStaff(username: "bob", name: "Bob", role: .agent, passwordHash: "x",
                                            createdAt: Fixture.at(0))
            let shared = try store.saveCannedReply(id: nil, ownerID: nil, shortcut: "hi", title: "Hello", body: "Hello!",
                                                   at: Fixture.at(1))
            let mine = try store.saveCannedReply(id: nil, ownerID: ann.id, shortcut: "hi", title: "Mine", body: "Hey",
                                                 at: Fixture.at(2))
            _ = try store.saveCannedReply(id: nil, ownerID: bob.id, shortcut: "bye", title: "Bye", body: "Bye", at: Fixture.at(3))
            XCTAssertThrowsError(try store.saveCannedReply(id: nil, ownerID: nil, shortcut: "hi", title: "Again", body: "",
                                                           at: Fixture.at(4)), name) { error in
                XCTAssertEqual((error as? StorageError)?.code, "shortcut_taken", name)
            }
            XCTAssertEqual(try store.cannedReplies(for: ann.id).map(\.title), ["Mine", "Hello"], name)
            XCTAssertEqual(try store.cannedReplies(for: bob.id).map(\.shortcut), ["bye", "hi"], name)
            let edited = try store.saveCannedReply(id: shared.id, ownerID: nil, shortcut: "hello", title: "Hello",
                                                   body: "Hi there", at: Fixture.at(5))
            XCTAssertEqual(try store.cannedReply(id: shared.id), edited, name)
            XCTAssertThrowsError(try store.saveCannedReply(id: 999, ownerID: nil, shortcut: "x", title: "", body: "",
                                                           at: Fixture.at(6)), name)
            XCTAssertTrue(try store.deleteCannedReply(id: mine.id), name)
            XCTAssertFalse(try store.deleteCannedReply(id: mine.id), name)
            XCTAssertNil(try store.cannedReply(id: mine.id), name)
        }
    }
}
