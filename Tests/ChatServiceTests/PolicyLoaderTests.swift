import ChatCore
import Foundation
import XCTest
@testable import ChatService

final class PolicyLoaderTests: XCTestCase {
    func decodeError(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            let policy = try PolicyLoader.decode(Data(json.utf8), source: "policy.json")
            XCTFail("expected an error, decoded \(policy)", file: file, line: line)
            return ""
        } catch {
            return String(describing: error)
        }
    }

    let plan = #"{"id":"hv","name":"HV","rank":3,"liveChat":true,"authorizedContacts":10}"#
    let product = #"{"id":"pressero","name":"Pressero","chatOffered":true}"#

    func testDefaultsAreValidAndNilPathGivesThem() throws {
        XCTAssertNoThrow(try PolicyLoader.validate(.defaults))
        XCTAssertEqual(try PolicyLoader.load(path: nil), .defaults)
    }

    func testDefaultPolicyJSONRoundTripsThroughAFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/policy.json"
        let json = PolicyLoader.defaultPolicyJSON()
        XCTAssertTrue(json.contains("\n  "), "pretty-printed")
        XCTAssertTrue(json.contains("\"enterprise\""))
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try PolicyLoader.load(path: path), .defaults)
    }

    func testDuplicatePlanIDIsRejected() {
        let other = #"{"id":"hv","name":"HV again","rank":4,"liveChat":true,"authorizedContacts":10}"#
        let message = decodeError(#"{"plans":[\#(plan),\#(other)],"products":[\#(product)]}"#)
        XCTAssertTrue(message.contains("plans[1]") && message.contains("duplicate plan id \"hv\""), message)
    }

    func testDuplicateProductIDIsRejected() {
        let message = decodeError(#"{"plans":[\#(plan)],"products":[\#(product),\#(product)]}"#)
        XCTAssertTrue(message.contains("products[1]") && message.contains("duplicate product id"), message)
    }

    func testDuplicateRankIsRejected() {
        let other = #"{"id":"gold","name":"Gold","rank":3,"liveChat":true,"authorizedContacts":10}"#
        let message = decodeError(#"{"plans":[\#(plan),\#(other)],"products":[\#(product)]}"#)
        XCTAssertTrue(message.contains("rank 3") && message.contains("\"hv\""), message)
    }

    func testAuthorizedContactsMustBePositive() {
        let zero = #"{"id":"free","name":"Free","rank":0,"liveChat":false,"authorizedContacts":0}"#
        let message = decodeError(#"{"plans":[\#(plan),\#(zero)],"products":[\#(product)]}"#)
        XCTAssertTrue(message.contains("\"free\"") && message.contains("authorizedContacts"), message)
    }

    func testShapeErrorsNameTheKey() {
        XCTAssertTrue(decodeError(#"{"plans":[{"id":"hv","name":"HV","rank":"high","liveChat":true,"authorizedContacts":1}],"products":[\#(product)]}"#)
            .contains("plans[0].rank"))
        XCTAssertTrue(decodeError(#"{"plans":[{"id":"hv","name":"HV","rank":1,"authorizedContacts":1}],"products":[\#(product)]}"#)
            .contains("plans[0].liveChat"))
        XCTAssertTrue(decodeError(#"{"plans":[\#(plan)],"products":[{"id":"x","name":"X","chatOfered":true}]}"#)
            .contains("unknown key \"chatOfered\""))
        XCTAssertTrue(decodeError(#"{"plans":[\#(plan)],"products":[\#(product)],"regions":[]}"#)
            .contains("defaultRegion \"usa\" is not among regions"))
        XCTAssertTrue(decodeError(#"{"plans":[],"products":[\#(product)]}"#).contains("at least one plan"))
        XCTAssertTrue(decodeError("nope").contains("policy.json"))
    }

    func testMissingFile() {
        XCTAssertThrowsError(try PolicyLoader.load(path: "/nonexistent/policy.json")) { error in
            XCTAssertTrue(String(describing: error).contains("/nonexistent/policy.json"))
        }
    }

    func testChatSectionKeysAreOptional() throws {
        let policy = try PolicyLoader.decode(Data(#"{"plans":[\#(plan)],"products":[\#(product)],"chat":{"quickQuestionMinutes":20}}"#.utf8))
        XCTAssertEqual(policy.chat.quickQuestionMinutes, 20)
        XCTAssertEqual(policy.chat.warningMinutesLeft, 3)
        XCTAssertFalse(policy.chat.routeOutsideHours)
    }
}
