import ChatCore
import ChatStorage
import Foundation
import XCTest
@testable import ChatService

final class TranscriptAccessTests: XCTestCase {
    let cathy = Principal.customer(CustomerIdentity(organizationID: "acme", contactID: "c1", name: "Cathy", email: "c@a"))
    let ann = Principal.staff(StaffIdentity(id: 1, username: "ann", name: "Ann", role: .agent))
    let sue = Principal.staff(StaffIdentity(id: 9, username: "sue", name: "Sue", role: .supervisor))

    func record(org: String = "acme", contact: String = "c1", agent: StaffID? = nil) -> ChatSessionRecord {
        ChatSessionRecord(id: 1, organizationID: org,
                          customer: CustomerIdentity(organizationID: org, contactID: contact, name: "X", email: "x@y"),
                          productID: "pressero", subject: "S", state: .closed,
                          agent: agent.map { StaffRef(id: $0, name: "A") }, createdAt: Date(timeIntervalSince1970: 0))
    }

    func testCustomersAreScopedToTheirOwnChats() throws {
        let scoped = try TranscriptAccess.scope(cathy, TranscriptFilter()).get()
        XCTAssertEqual(scoped.organizationID, "acme")
        XCTAssertEqual(scoped.contactID, "c1")
        XCTAssertEqual(try? TranscriptAccess.scope(cathy, TranscriptFilter(organizationID: "other")).get(), nil)
        if case .failure(let error) = TranscriptAccess.scope(cathy, TranscriptFilter(organizationID: "other")) {
            XCTAssertEqual(error.code, .forbidden)
        } else { XCTFail("another organization must be refused") }
        XCTAssertTrue(TranscriptAccess.mayRead(cathy, record(), events: []))
        XCTAssertFalse(TranscriptAccess.mayRead(cathy, record(org: "other"), events: []))
        XCTAssertFalse(TranscriptAccess.mayRead(cathy, record(contact: "c2"), events: []))
    }

    func testAgentsSeeChatsTheyHandled() throws {
        XCTAssertEqual(try TranscriptAccess.scope(ann, TranscriptFilter()).get().agentID, 1)
        if case .success = TranscriptAccess.scope(ann, TranscriptFilter(agentID: 2)) { XCTFail("another agent must be refused") }
        XCTAssertTrue(TranscriptAccess.mayRead(ann, record(agent: 1), events: []))
        XCTAssertFalse(TranscriptAccess.mayRead(ann, record(agent: 2), events: []))
        let handledBefore = SessionEvent(sessionID: 1, seq: 2, at: Date(), kind: .joined,
                                         author: Participant(role: .agent, id: "1", name: "Ann"), agent: StaffRef(id: 1, name: "Ann"))
        XCTAssertTrue(TranscriptAccess.mayRead(ann, record(agent: 2), events: [handledBefore]))
        var converted = record(agent: 2)
        converted.ticketNumber = 17
        XCTAssertTrue(TranscriptAccess.mayRead(ann, converted, events: []), "the transcript travels with its ticket")
    }

    func testSupervisorsSeeEverything() throws {
        let filter = TranscriptFilter(organizationID: "other", agentID: 4)
        XCTAssertEqual(try TranscriptAccess.scope(sue, filter).get(), filter)
        XCTAssertTrue(TranscriptAccess.mayRead(sue, record(org: "other", agent: 3), events: []))
    }

    func testTranscriptQueryParsing() throws {
        let filter = try TranscriptQuery.parse(["organization": "acme", "agent": "3", "from": "2026-11-01",
                                                "to": "2026-11-02T00:00:00Z", "state": "closed", "limit": "20", "offset": "40"]).get()
        XCTAssertEqual(filter.organizationID, "acme")
        XCTAssertEqual(filter.agentID, 3)
        XCTAssertEqual(filter.from, ISOTime.parse("2026-11-01"))
        XCTAssertEqual(filter.to, ISOTime.parse("2026-11-02T00:00:00Z"))
        XCTAssertEqual(filter.state, .closed)
        XCTAssertEqual(filter.limit, 20)
        XCTAssertEqual(filter.offset, 40)
        for bad in [["agent": "x"], ["from": "soon"], ["state": "lost"], ["limit": "0"], ["limit": "501"], ["offset": "-1"]] {
            if case .success = TranscriptQuery.parse(bad) { XCTFail("\(bad) must be refused") }
        }
    }

    func testRoutesAndMethods() {
        XCTAssertEqual(APIRoute(path: "/healthz"), .health)
        XCTAssertEqual(APIRoute(path: "/api/login"), .login)
        XCTAssertEqual(APIRoute(path: "/api/transcripts/42"), .transcript("42"))
        XCTAssertNil(APIRoute(path: "/api/transcripts/42/more"))
        XCTAssertNil(APIRoute(path: "/api/unknown"))
        XCTAssertTrue(APIRoute.login.allows(.post))
        XCTAssertFalse(APIRoute.login.allows(.get))
        XCTAssertFalse(APIRoute.transcripts.allows(.delete))
    }

    func testHTTPStatusForEveryErrorCode() {
        for code in ChatErrorCode.allCases {
            let status = HTTPReplies.status(for: code)
            XCTAssertTrue((400...599).contains(status), "\(code) maps to \(status)")
        }
        XCTAssertEqual(HTTPReplies.status(for: .forbidden), 403)
        XCTAssertEqual(HTTPReplies.status(for: .tokenExpired), 401)
    }
}

final class TranscriptOutcomeQueryTests: XCTestCase {
    func testOutcomeParsing() throws {
        XCTAssertEqual(try TranscriptQuery.parse(["outcome": "converted"]).get().outcome, .converted)
        XCTAssertEqual(try TranscriptQuery.parse(["outcome": "open"]).get().outcome, .open)
        if case .success = TranscriptQuery.parse(["outcome": "won"]) { XCTFail("unknown outcome must be refused") }
    }
}
