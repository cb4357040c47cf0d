import ChatCore
import ChatStorage
import Foundation
import XCTest
@testable import ChatService

/// The streamed export bodies over a real store: every page read in turn, the whole document assembled from them.
final class ExportBodyTests: XCTestCase {
    var directory: String!
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    let ann = StaffRef(id: 3, name: "Ann")
    let sue = Principal.staff(StaffIdentity(id: 9, username: "sue", name: "Sue", role: .supervisor))

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func makeStore(_ writes: [StorageWrite]) throws -> ChatStore {
        let store = try ChatStore(path: directory + "/chat.sqlite", durability: .normal)
        let failures = Failures()
        let writer = GroupCommitWriter(store: store, capacity: writes.count, onCommit: { _ in },
                                       onFailure: { failure in failures.add(failure.message) })
        writer.start()
        XCTAssertTrue(writer.submit(writes))
        writer.stop()
        XCTAssertEqual(failures.messages, [])
        try store.createOrganization(id: "acme", name: "Acme, Print", planID: "hv")
        return store
    }

    func session(_ id: SessionID, createdAt: Double) -> ChatSessionRecord {
        ChatSessionRecord(id: id, organizationID: "acme",
                          customer: CustomerIdentity(organizationID: "acme", contactID: "c1", name: "Cathy", email: "c@a"),
                          productID: "pressero", subject: "Chat \(id)", state: .closed, agent: ann,
                          createdAt: t0.addingTimeInterval(createdAt), closedAt: t0.addingTimeInterval(createdAt + 60))
    }

    func drain(_ body: PagedBody) throws -> (bytes: [UInt8], pages: Int) {
        var bytes: [UInt8] = []
        var pages = 0
        while true {
            let page = try body.nextPage()
            bytes += page.bytes
            pages += 1
            if page.isLast { return (bytes, pages) }
            XCTAssertLessThan(pages, 1000)
        }
    }

    func testTheJSONExportOfALongChatIsOneDocumentReadInPages() throws {
        let count = 2 * TranscriptExportBody.eventsPerPage + 17
        var writes: [StorageWrite] = [.createSession(session(1, createdAt: 0))]
        for seq in 1...Seq(count) {
            writes.append(.appendEvent(SessionEvent(sessionID: 1, seq: seq, at: t0.addingTimeInterval(Double(seq)),
                                                    kind: seq == 2 ? .joined : .message,
                                                    author: Participant(role: .customer, id: "c1", name: "Cathy"),
                                                    text: "line \(seq)", agent: seq == 2 ? ann : nil)))
        }
        let store = try makeStore(writes)
        let stored = try XCTUnwrap(store.storedSession(id: 1))
        let header = try TranscriptHeader.load(stored, store: store, policy: .defaults)
        XCTAssertEqual(header.organizationName, "Acme, Print")
        XCTAssertEqual(header.waitSeconds, 2)
        let body = TranscriptExportBody(store: store, principal: sue, format: .json, header: header,
                                        exportedBy: "Sue", exportedAt: t0)
        let (bytes, pages) = try drain(body)
        XCTAssertEqual(pages, 3)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let seqs = (object["events"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int }
        XCTAssertEqual(seqs, Array(1...count))
    }

    func testTheCSVHoldsEveryRowOfTheFilterAcrossPages() throws {
        let count = TranscriptListCSVBody.rowsPerPage * 2 + 3
        let store = try makeStore((1...Int64(count)).map { .createSession(session($0, createdAt: Double($0))) })
        let body = TranscriptListCSVBody(store: store, policy: .defaults, filter: TranscriptFilter(organizationID: "acme", limit: 5))
        let (bytes, pages) = try drain(body)
        XCTAssertEqual(pages, 3)
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n").dropLast()
        XCTAssertEqual(lines.first, TranscriptListCSVBody.columns.joined(separator: ","))
        XCTAssertEqual(lines.dropFirst().map { Int($0.prefix { $0 != "," })! }, Array((1...count).reversed()))
        XCTAssertTrue(lines[1].contains(",acme,\"Acme, Print\",c1,Cathy,"))
        let empty = TranscriptListCSVBody(store: store, policy: .defaults, filter: TranscriptFilter(organizationID: "none"))
        XCTAssertEqual(try drain(empty).pages, 1)
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ message: String) { lock.withLock { list.append(message) } }
    var messages: [String] { lock.withLock { list } }
}
