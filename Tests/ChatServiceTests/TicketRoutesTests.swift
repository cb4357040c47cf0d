import ChatCore
import ChatStorage
import Foundation
import XCTest
@testable import ChatService

final class TicketRoutesTests: XCTestCase {
    let policy = SupportPolicy.defaults
    let cathy = Principal.customer(CustomerIdentity(organizationID: "acme", contactID: "c1", name: "Cathy", email: "c@a"))
    let ann = Principal.staff(StaffIdentity(id: 1, username: "ann", name: "Ann", role: .agent))
    let sue = Principal.staff(StaffIdentity(id: 9, username: "sue", name: "Sue", role: .supervisor))

    func body(_ object: [String: Any]) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: object)) }

    func ticket(org: String = "acme") -> Ticket {
        Ticket(number: 3, organizationID: org,
               customer: CustomerIdentity(organizationID: org, contactID: "c1", name: "Cathy \"C\"", email: "c@a"),
               subject: "S", productID: "pressero", category: .request, severity: 3, urgent: false, status: .new,
               createdAt: Date(timeIntervalSince1970: 0), firstResponseDue: Date(timeIntervalSince1970: 57_600),
               description: "D")
    }

    func testRoutes() {
        XCTAssertEqual(APIRoute(path: "/api/tickets"), .tickets)
        XCTAssertEqual(APIRoute(path: "/api/tickets/12"), .ticket("12"))
        XCTAssertEqual(APIRoute(path: "/api/tickets/12/replies"), .ticketReplies("12"))
        XCTAssertEqual(APIRoute(path: "/api/tickets/12/status"), .ticketStatus("12"))
        XCTAssertNil(APIRoute(path: "/api/tickets/12/other"))
        XCTAssertTrue(APIRoute.tickets.allows(.get) && APIRoute.tickets.allows(.post))
        XCTAssertFalse(APIRoute.ticket("1").allows(.post))
        XCTAssertFalse(APIRoute.ticketReplies("1").allows(.get))
        XCTAssertFalse(APIRoute.ticketStatus("1").allows(.get))
        XCTAssertEqual(try TicketRoutes.number("12").get(), 12)
        for bad in ["0", "-1", "x", ""] {
            XCTAssertThrowsError(try TicketRoutes.number(bad).get(), bad)
        }
    }

    func testTicketWorkRoutesAndBodies() {
        XCTAssertEqual(APIRoute(path: "/api/tickets/12/notes"), .ticketNotes("12"))
        XCTAssertEqual(APIRoute(path: "/api/tickets/12/assignee"), .ticketAssignee("12"))
        XCTAssertEqual(APIRoute(path: "/api/staff"), .staffList)
        XCTAssertTrue(APIRoute.ticketNotes("1").allows(.post) && !APIRoute.ticketNotes("1").allows(.get))
        XCTAssertTrue(APIRoute.ticketAssignee("1").allows(.post) && !APIRoute.ticketAssignee("1").allows(.get))
        XCTAssertTrue(APIRoute.staffList.allows(.get) && !APIRoute.staffList.allows(.post))

        XCTAssertEqual(try TicketRoutes.noteText(body(["text": "  Call back  "])).get(), "Call back")
        XCTAssertEqual(failureCode(TicketRoutes.noteText(body(["text": "  "]))), .invalidField)
        XCTAssertEqual(failureCode(TicketRoutes.noteText(body(["text": String(repeating: "x", count: 20_001)]))), .invalidField)
        XCTAssertEqual(failureCode(TicketRoutes.noteText(Array("[]".utf8))), .malformedJSON)

        XCTAssertEqual(try TicketRoutes.assignee(body(["staffId": 4])).get(), 4)
        XCTAssertEqual(try TicketRoutes.assignee(body(["staffId": NSNull()])).get(), nil)
        for bad: [String: Any] in [[:], ["staffId": "4"], ["staffId": true], ["staffId": 0], ["staffId": 1.5]] {
            XCTAssertEqual(failureCode(TicketRoutes.assignee(body(bad))), .invalidField, "\(bad)")
        }

        XCTAssertEqual(try TicketRoutes.filter(["assignee": "4"], policy: policy).get().assigneeID, 4)
        XCTAssertEqual(try TicketRoutes.filter(["assignee": "none"], policy: policy).get().unassignedOnly, true)
        XCTAssertEqual(failureCode(TicketRoutes.filter(["assignee": "ann"], policy: policy)), .invalidField)
    }

    /// Who reads which history entries, as a table: role x entry kind.
    func testInternalEntriesAreForStaffOnly() {
        let readers: [(Principal, Bool)] = [(cathy, false), (ann, true), (sue, true)]
        for (principal, seesInternal) in readers {
            for kind in TicketHistoryKind.allCases {
                let visible = !TicketAccess.customerView(principal) || !kind.isInternal
                XCTAssertEqual(visible, seesInternal || !(kind == .note || kind == .assigned), "\(principal) \(kind)")
            }
        }
    }

    func testErrorStatuses() {
        XCTAssertEqual(HTTPReplies.status(for: .unknownTicket), 404)
        XCTAssertEqual(HTTPReplies.status(for: .ticketClosed), 409)
        XCTAssertEqual(HTTPReplies.status(for: .illegalTransition), 409)
    }

    func testNewTicketBody() throws {
        let parsed = try TicketRoutes.newTicket(body([
            "subject": "  Orders fail ", "product": "pressero", "category": "incident", "severity": 1,
            "description": "Checkout errors\n", "urgent": true,
        ]), policy: policy).get()
        XCTAssertEqual(parsed, NewTicketRequest(subject: "Orders fail", productID: "pressero", category: .incident,
                                                severity: 1, description: "Checkout errors", urgent: true))
        let minimal = try TicketRoutes.newTicket(body([
            "subject": "Q", "product": "pjm", "category": "request", "severity": 4, "description": "How?",
        ]), policy: policy).get()
        XCTAssertFalse(minimal.urgent)

        let valid: [String: Any] = ["subject": "S", "product": "pressero", "category": "request", "severity": 2,
                                    "description": "D"]
        let broken: [(String, Any)] = [
            ("subject", ""), ("subject", 5), ("product", "nope"), ("category", "question"), ("severity", 7),
            ("severity", "1"), ("severity", true), ("severity", 1.5), ("description", "   "), ("urgent", "yes"),
            ("urgent", 1),
        ]
        for (field, value) in broken {
            var fields = valid
            fields[field] = value
            XCTAssertThrowsError(try TicketRoutes.newTicket(body(fields), policy: policy).get(), "\(field)=\(value)") { error in
                XCTAssertEqual((error as? ChatError)?.code, .invalidField)
                XCTAssertTrue((error as? ChatError)?.message.hasPrefix(field) ?? false, "\(error)")
            }
        }
        for raw in ["[1]", "{not json", "", "\"text\""] {
            XCTAssertThrowsError(try TicketRoutes.newTicket(Array(raw.utf8), policy: policy).get(), raw) { error in
                XCTAssertEqual((error as? ChatError)?.code, .malformedJSON)
            }
            XCTAssertEqual(failureCode(TicketRoutes.replyText(Array(raw.utf8))), .malformedJSON, raw)
            XCTAssertEqual(failureCode(TicketRoutes.status(Array(raw.utf8))), .malformedJSON, raw)
        }
        XCTAssertThrowsError(try TicketRoutes.newTicket(Array("{".utf8), policy: policy).get())
    }

    func testReplyAndStatusBodies() throws {
        XCTAssertEqual(try TicketRoutes.replyText(body(["text": " hi "])).get(), "hi")
        XCTAssertThrowsError(try TicketRoutes.replyText(body(["text": "  "])).get())
        XCTAssertThrowsError(try TicketRoutes.replyText(body([:])).get())
        XCTAssertEqual(try TicketRoutes.status(body(["status": "awaiting_reply"])).get(), .awaitingReply)
        XCTAssertThrowsError(try TicketRoutes.status(body(["status": "Awaiting your reply"])).get())
    }

    func testQuery() throws {
        let filter = try TicketRoutes.filter([
            "status": "on_hold", "severity": "2", "organization": "acme", "contact": "c1", "urgent": "true",
            "due": "2026-11-21T09:00:00Z", "limit": "10", "offset": "20",
        ], policy: .defaults).get()
        XCTAssertEqual(filter, TicketFilter(organizationID: "acme", contactID: "c1", status: .onHold, severity: 2,
                                            urgent: true, dueBefore: ISOTime.parse("2026-11-21T09:00:00Z"),
                                            limit: 10, offset: 20))
        XCTAssertEqual(try TicketRoutes.filter([:], policy: .defaults).get(), TicketFilter())
        for (name, value) in [("status", "bogus"), ("severity", "x"), ("severity", "9"), ("severity", "0"),
                              ("urgent", "1"), ("due", "soon"), ("limit", "0"), ("limit", "501"), ("offset", "-1")] {
            XCTAssertThrowsError(try TicketRoutes.filter([name: value], policy: .defaults).get(), name) { error in
                XCTAssertEqual((error as? ChatError)?.code, .invalidField)
                XCTAssertEqual((error as? ChatError)?.details["field"], name)
            }
        }
    }

    func testAccess() throws {
        XCTAssertEqual(try TicketAccess.scope(cathy, TicketFilter()).get().organizationID, "acme")
        XCTAssertEqual(try TicketAccess.scope(cathy, TicketFilter(organizationID: "acme")).get().organizationID, "acme")
        if case .success = TicketAccess.scope(cathy, TicketFilter(organizationID: "globex")) {
            XCTFail("another organization must be refused")
        }
        XCTAssertNil(try TicketAccess.scope(ann, TicketFilter()).get().organizationID)
        XCTAssertEqual(try TicketAccess.scope(sue, TicketFilter(organizationID: "globex")).get().organizationID, "globex")
        XCTAssertTrue(TicketAccess.mayRead(cathy, ticket()))
        XCTAssertFalse(TicketAccess.mayRead(cathy, ticket(org: "globex")))
        XCTAssertTrue(TicketAccess.mayRead(ann, ticket(org: "globex")))
        XCTAssertEqual(TicketAccess.actor(cathy), Participant(role: .customer, id: "c1", name: "Cathy"))
        XCTAssertEqual(TicketAccess.actor(ann), Participant(role: .agent, id: "1", name: "Ann"))
        XCTAssertEqual(TicketAccess.actor(sue), Participant(role: .supervisor, id: "9", name: "Sue"))
    }

    func testEncoding() throws {
        var json = JSONWriter()
        TicketEncoding.write(ticket(), into: &json)
        let object = try JSONSerialization.jsonObject(with: Data(json.bytes)) as! [String: Any]
        XCTAssertEqual(Set(object.keys), ["number", "organizationId", "customer", "subject", "product", "category",
                                          "severity", "urgent", "status", "sessionId", "convertedBy", "createdAt",
                                          "firstResponseDue", "firstRespondedAt", "firstResponseMet", "description", "assignee"])
        XCTAssertTrue(object["assignee"] is NSNull)
        XCTAssertEqual(object["number"] as? Int, 3)
        XCTAssertEqual((object["customer"] as? [String: Any])?["name"] as? String, "Cathy \"C\"")
        XCTAssertEqual(object["firstResponseDue"] as? String, "1970-01-01T16:00:00.000Z")
        XCTAssertTrue(object["sessionId"] is NSNull && object["convertedBy"] is NSNull)
        XCTAssertTrue(object["firstRespondedAt"] is NSNull && object["firstResponseMet"] is NSNull)

        var converted = ticket()
        converted.sessionID = 8
        converted.convertedBy = StaffRef(id: 1, name: "Ann")
        converted.firstRespondedAt = Date(timeIntervalSince1970: 60)
        json = JSONWriter()
        TicketEncoding.write(converted, into: &json)
        let second = try JSONSerialization.jsonObject(with: Data(json.bytes)) as! [String: Any]
        XCTAssertEqual(second["sessionId"] as? Int, 8)
        XCTAssertEqual((second["convertedBy"] as? [String: Any])?["name"] as? String, "Ann")
        XCTAssertEqual(second["firstResponseMet"] as? Bool, true)
        converted.assignee = StaffRef(id: 9, name: "Sue")
        json = JSONWriter()
        TicketEncoding.write(converted, into: &json)
        let third = try JSONSerialization.jsonObject(with: Data(json.bytes)) as! [String: Any]
        XCTAssertEqual((third["assignee"] as? [String: Any])?["id"] as? Int, 9)

        json = JSONWriter()
        TicketEncoding.write(TicketHistoryEntry(ticketNumber: 3, seq: 2, at: Date(timeIntervalSince1970: 0),
                                                actor: TicketAccess.actor(ann), kind: .statusChanged,
                                                fromStatus: .new, toStatus: .open), into: &json)
        XCTAssertEqual(String(decoding: json.bytes, as: UTF8.self), """
            {"seq":2,"at":"1970-01-01T00:00:00.000Z","kind":"status_changed","actor":{"role":"agent","id":"1","name":"Ann"},\
            "fromStatus":"new","toStatus":"open"}
            """)
    }
}

private func failureCode<T>(_ result: Result<T, ChatError>) -> ChatErrorCode? {
    if case .failure(let error) = result { return error.code }
    return nil
}
