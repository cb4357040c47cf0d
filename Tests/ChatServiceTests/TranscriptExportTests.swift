import ChatCore
import ChatStorage
import ChatTransport
import Foundation
import XCTest
@testable import ChatService

final class TranscriptExportTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    let ann = StaffRef(id: 3, name: "Ann")

    func header(closed: Bool = true, ticket: Int64? = nil) -> TranscriptHeader {
        var record = ChatSessionRecord(
            id: 12, organizationID: "acme",
            customer: CustomerIdentity(organizationID: "acme", contactID: "c1", name: "Cathy <b>", email: "c@acme.example"),
            productID: "pressero", subject: "Stocks & \"paper\"", state: closed ? .closed : .active, agent: ann,
            createdAt: t0, closedAt: closed ? t0.addingTimeInterval(725) : nil, ticketNumber: ticket)
        record.queuedAt = t0
        let order = StoredServiceOrder(id: 1, sessionID: 12, organizationID: "acme", contactID: "c1",
                                       description: "Rebuild the calculator", rateID: "technical", hourlyRate: 150,
                                       currency: "USD", estimateHours: 2.5, proposedBy: 3, acceptedAt: t0.addingTimeInterval(600))
        return TranscriptHeader(record: record, lastSeq: 4, organizationName: "Acme Print", productName: "Pressero",
                                facts: TranscriptFacts(firstJoinedAt: t0.addingTimeInterval(65), agents: [ann]),
                                orders: [order], staffNames: [3: "Ann"])
    }

    var events: [SessionEvent] {
        [SessionEvent(sessionID: 12, seq: 1, at: t0, kind: .requested,
                      author: Participant(role: .customer, id: "c1", name: "Cathy <b>"), text: "Hello\nsecond line"),
         SessionEvent(sessionID: 12, seq: 2, at: t0.addingTimeInterval(65), kind: .joined, author: .system,
                      text: "Ann joined the chat.", agent: ann),
         SessionEvent(sessionID: 12, seq: 3, at: t0.addingTimeInterval(70), kind: .message,
                      author: Participant(role: .agent, id: "3", name: "Ann"), text: "<script>alert(1)</script>")]
    }

    func render(_ format: TranscriptExportFormat, pages: [[SessionEvent]]) -> String {
        var bytes = format.head(header(), exportedBy: "Sue (sue)", at: t0.addingTimeInterval(1000))
        for (i, page) in pages.enumerated() { bytes += format.events(page, first: i == 0) }
        bytes += format.tail
        return String(decoding: bytes, as: UTF8.self)
    }

    func testHeaderSaysNamesOutcomeDurationAndWait() {
        let lines = Dictionary(uniqueKeysWithValues: header(ticket: 40).lines.map { ($0.label, $0.value) })
        XCTAssertEqual(lines["Organization"], "Acme Print (acme)")
        XCTAssertEqual(lines["Product"], "Pressero")
        XCTAssertEqual(lines["Agents"], "Ann")
        XCTAssertEqual(lines["Outcome"], "Converted to ticket #40")
        XCTAssertEqual(lines["Duration"], "12 min 5 s")
        XCTAssertEqual(lines["Wait"], "1 min 5 s")
        XCTAssertEqual(lines["Ticket"], "#40")
        let open = Dictionary(uniqueKeysWithValues: header(closed: false).lines.map { ($0.label, $0.value) })
        XCTAssertEqual(open["Duration"], "still open")
        XCTAssertNil(open["Ticket"])
        XCTAssertEqual(TranscriptHeader.duration(3725), "1 h 02 min 05 s")
    }

    func testPlainTextIsReadableAndIndentsContinuationLines() {
        let text = render(.text, pages: [Array(events.prefix(2)), Array(events.suffix(1))])
        XCTAssertTrue(text.hasPrefix("Transcript of chat 12: Stocks & \"paper\"\nOrganization: Acme Print (acme)\n"))
        XCTAssertTrue(text.contains("Service orders:\n  1. Rebuild the calculator — technical, USD 150.00/h, 2.5 h; proposed by Ann"))
        XCTAssertTrue(text.contains("] Cathy <b> (customer): Hello\n    second line\n"))
        XCTAssertTrue(text.contains("] * Ann joined the chat.\n"))
        XCTAssertTrue(text.contains("Exported 2026-09-21T") && text.contains("by Sue (sue)"))
        XCTAssertTrue(text.hasSuffix("— end of transcript —\n"))
    }

    func testJSONStaysOneValidDocumentAcrossPages() throws {
        for pages in [[events], [Array(events.prefix(1)), [], Array(events.suffix(2))], [[]]] {
            let json = render(.json, pages: pages)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let seqs = (object["events"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int }
            XCTAssertEqual(seqs, pages.flatMap { $0 }.map { Int($0.seq) })
            XCTAssertEqual((object["session"] as? [String: Any])?["organizationName"] as? String, "Acme Print")
            XCTAssertEqual((object["summary"] as? [String: Any])?["waitSeconds"] as? Double, 65)
            XCTAssertEqual(((object["serviceOrders"] as? [[String: Any]])?.first)?["proposedByName"] as? String, "Ann")
        }
    }

    func testHTMLEscapesEverythingAndRunsNothing() {
        let html = render(.html, pages: [events])
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("<title>Transcript of chat 12: Stocks &amp; &quot;paper&quot;</title>"))
        XCTAssertTrue(html.contains("<dt>Customer</dt><dd>Cathy &lt;b&gt; &lt;c@acme.example&gt;</dd>"))
        XCTAssertTrue(html.contains("<link rel=\"stylesheet\" href=\"/css/transcript-print.css\">"))
        XCTAssertTrue(html.hasSuffix("</main></body></html>\n"))
        XCTAssertTrue(TranscriptExportFormat.htmlContentSecurityPolicy.hasPrefix("default-src 'none'"))
        XCTAssertFalse(TranscriptExportFormat.htmlContentSecurityPolicy.contains("script-src"))
    }

    func testCSVQuotesFieldsAndDefusesFormulas() {
        XCTAssertEqual(TranscriptListCSVBody.field("plain"), "plain")
        XCTAssertEqual(TranscriptListCSVBody.field("a,b"), "\"a,b\"")
        XCTAssertEqual(TranscriptListCSVBody.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(TranscriptListCSVBody.field("two\r\nlines"), "\"two\r\nlines\"")
        XCTAssertEqual(TranscriptListCSVBody.field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"")
        XCTAssertEqual(TranscriptListCSVBody.field("@SUM(A1)"), "'@SUM(A1)")
        XCTAssertEqual(TranscriptListCSVBody.field("-3"), "-3", "a number stays a number")
        let h = header(ticket: 40)
        let row = TranscriptListCSVBody.row(TranscriptSummary(record: h.record, lastSeq: 4, messageCount: 2),
                                            organizationName: "Acme, Print", productName: "Pressero")
        XCTAssertEqual(row, "12,2026-09-21T14:13:20.000Z,2026-09-21T14:25:25.000Z,acme,\"Acme, Print\",c1,Cathy <b>,c@acme.example,pressero,Pressero,\"Stocks & \"\"paper\"\"\",Ann,closed,converted,40,2,725\r\n")
    }
}

final class SupervisionAccessTests: XCTestCase {
    let cathy = Principal.customer(CustomerIdentity(organizationID: "acme", contactID: "c1", name: "Cathy", email: "c@a"))
    let ann = Principal.staff(StaffIdentity(id: 1, username: "ann", name: "Ann", role: .agent))
    let bob = Principal.staff(StaffIdentity(id: 2, username: "bob", name: "Bob", role: .agent))
    let sue = Principal.staff(StaffIdentity(id: 9, username: "sue", name: "Sue", role: .supervisor))

    /// The role table of `SessionAccess+Supervision.swift`, row by row.
    func testTheRoleTable() {
        let record = ChatSessionRecord(id: 1, organizationID: "acme",
                                       customer: CustomerIdentity(organizationID: "acme", contactID: "c1", name: "C", email: "c@a"),
                                       productID: "pressero", subject: "S", state: .closed, agent: StaffRef(id: 1, name: "Ann"),
                                       createdAt: Date(timeIntervalSince1970: 0))
        var converted = record
        converted.agent = StaffRef(id: 5, name: "Eve")
        converted.ticketNumber = 3
        let table: [(Principal, exportOwn: Bool, exportOther: Bool, exportConverted: Bool, list: Bool, orgs: Bool, audit: Bool)] = [
            (cathy, false, false, false, false, false, false),
            (ann, true, false, true, true, true, false),
            (sue, true, true, true, true, true, true),
        ]
        for row in table {
            XCTAssertEqual(SessionAccess.mayExportTranscript(row.0, record, handledBy: []), row.exportOwn, "\(row.0)")
            XCTAssertEqual(SessionAccess.mayExportTranscript(row.0 == ann ? bob : row.0, record, handledBy: []),
                           row.0 == ann ? false : row.exportOther, "\(row.0)")
            XCTAssertEqual(SessionAccess.mayExportTranscript(row.0, converted, handledBy: []), row.exportConverted, "\(row.0)")
            XCTAssertEqual(SessionAccess.mayExportListing(row.0), row.list, "\(row.0)")
            XCTAssertEqual(SessionAccess.mayLookUpOrganizations(row.0), row.orgs, "\(row.0)")
            XCTAssertEqual(SessionAccess.mayReadAudit(row.0), row.audit, "\(row.0)")
        }
        XCTAssertTrue(SessionAccess.mayExportTranscript(bob, record, handledBy: [2]), "Bob handled it before a transfer")
    }

    func testAuditEntriesAreForStaffOnlyWithTheirAddress() {
        let request = HTTPRequest(id: 1, method: .get, path: "/api/transcripts", query: ["organization": "acme", "to": "", "agent": "2"],
                                  headers: [:], body: [], peerAddress: "10.1.2.3")
        let at = Date(timeIntervalSince1970: 5)
        XCTAssertNil(AuditRecord.entry(cathy, request, .transcriptList, at: at))
        let entry = AuditRecord.entry(sue, request, .transcriptList, at: at)
        XCTAssertEqual(entry, AuditEntry(at: at, staffID: 9, staffName: "Sue", staffRole: .supervisor, action: .transcriptList,
                                         detail: "agent=2&organization=acme", address: "10.1.2.3"))
    }

    func testAuditQueryParsing() throws {
        let filter = try AuditQuery.parse(["staff": "3", "action": "list_export", "from": "2026-11-01", "before": "40", "limit": "7"]).get()
        XCTAssertEqual(filter.staffID, 3)
        XCTAssertEqual(filter.action, .listExport)
        XCTAssertEqual(filter.beforeID, 40)
        XCTAssertEqual(filter.limit, 7)
        XCTAssertNotNil(filter.from)
        for (name, value) in [("staff", "0"), ("action", "delete"), ("from", "2026-11-31"), ("before", "x"), ("limit", "501")] {
            guard case .failure(let error) = AuditQuery.parse([name: value]) else { return XCTFail("\(name)=\(value)") }
            XCTAssertEqual(error.code, .invalidField)
            XCTAssertEqual(error.details["field"], name)
        }
    }

    func testRoutes() {
        XCTAssertEqual(APIRoute(path: "/api/transcripts/export.csv"), .transcriptListExport)
        XCTAssertEqual(APIRoute(path: "/api/transcripts/12/export"), .transcriptExport("12"))
        XCTAssertEqual(APIRoute(path: "/api/organizations"), .organizations)
        XCTAssertEqual(APIRoute(path: "/api/audit"), .audit)
        XCTAssertFalse(APIRoute.audit.allows(.post))
        XCTAssertEqual(APIRoute(path: "/api/transcripts/12"), .transcript("12"))
    }

    func testTranscriptQueryCursor() throws {
        let cursor = TranscriptCursor(createdAt: 1.5, sessionID: 4)
        XCTAssertEqual(try TranscriptQuery.parse(["cursor": cursor.token]).get().after, cursor)
        guard case .failure(let error) = TranscriptQuery.parse(["cursor": cursor.token, "offset": "3"]) else { return XCTFail() }
        XCTAssertEqual(error.details["field"], "cursor")
    }
}
