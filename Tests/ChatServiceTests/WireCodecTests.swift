import ChatCore
import Foundation
import XCTest
@testable import ChatService

final class WireDecodingTests: XCTestCase {
    private func decode(_ text: String) -> Result<ClientFrame, DecodingFailure> {
        Array(text.utf8).withUnsafeBytes { WireDecoding.decode($0) }
    }

    private func failure(_ text: String) -> DecodingFailure? {
        if case .failure(let failure) = decode(text) { return failure }
        return nil
    }

    func testDecodesEveryClientType() throws {
        XCTAssertEqual(try decode(#"{"type":"hello","token":"abc"}"#).get(), .hello(token: "abc"))
        XCTAssertEqual(try decode(#"{"type":"ping","nonce":"n"}"#).get(), .ping(nonce: "n"))
        XCTAssertEqual(try decode(#"{"type":"request_chat","product":"pressero","subject":"S","text":"T","clientId":"r1"}"#).get(),
                       .command(.requestChat(productID: "pressero", subject: "S", firstMessage: "T", clientID: "r1")))
        XCTAssertEqual(try decode(#"{"type":"send","sessionId":12,"clientId":"m1","text":"hi"}"#).get(),
                       .command(.sendMessage(sessionID: 12, clientID: "m1", text: "hi")))
        XCTAssertEqual(try decode(#"{"type":"typing","sessionId":1,"active":true}"#).get(), .command(.typing(sessionID: 1, active: true)))
        XCTAssertEqual(try decode(#"{"type":"typing","sessionId":1,"active":false}"#).get(), .command(.typing(sessionID: 1, active: false)))
        XCTAssertEqual(try decode(#"{"type":"read","sessionId":3,"seq":7}"#).get(), .command(.markRead(sessionID: 3, seq: 7)))
        XCTAssertEqual(try decode(#"{"type":"sync","sessionId":3,"afterSeq":0}"#).get(), .command(.sync(sessionID: 3, afterSeq: 0)))
        XCTAssertEqual(try decode(#"{"type":"set_status","status":"available"}"#).get(), .command(.setStatus(.available)))
        XCTAssertEqual(try decode(#"{"type":"take","sessionId":4}"#).get(), .command(.take(sessionID: 4)))
        XCTAssertEqual(try decode(#"{"type":"transfer","sessionId":4,"toAgent":2}"#).get(), .command(.transfer(sessionID: 4, toAgent: 2)))
        XCTAssertEqual(try decode(#"{"type":"close","sessionId":4}"#).get(), .command(.close(sessionID: 4)))
    }

    func testMalformedAndUnknown() {
        XCTAssertEqual(failure("not json")?.code, .malformedJSON)
        XCTAssertEqual(failure("[1,2]")?.code, .malformedJSON)
        XCTAssertEqual(failure(#"{"no":"type"}"#)?.code, .invalidField)
        XCTAssertEqual(failure(#"{"type":"explode"}"#)?.code, .unknownType)
    }

    func testFieldTypesAreChecked() {
        XCTAssertEqual(failure(#"{"type":"send","sessionId":"12","clientId":"m","text":"x"}"#)?.code, .invalidField)
        XCTAssertEqual(failure(#"{"type":"send","sessionId":true,"clientId":"m","text":"x"}"#)?.code, .invalidField)
        XCTAssertEqual(failure(#"{"type":"send","sessionId":1.5,"clientId":"m","text":"x"}"#)?.code, .invalidField)
        XCTAssertEqual(failure(#"{"type":"send","sessionId":0,"clientId":"m","text":"x"}"#)?.code, .invalidField)
        XCTAssertEqual(failure(#"{"type":"typing","sessionId":1,"active":1}"#)?.code, .invalidField)
        XCTAssertEqual(failure(#"{"type":"sync","sessionId":1,"afterSeq":-1}"#)?.code, .invalidField)
        XCTAssertEqual(failure(#"{"type":"set_status","status":"sleeping"}"#)?.code, .invalidField)
        XCTAssertEqual(failure(#"{"type":"send","sessionId":1,"clientId":"","text":"x"}"#)?.code, .invalidField)
    }

    func testClientIDIsEchoedAsRefAndLimited() {
        let tooLong = String(repeating: "x", count: 65)
        let result = failure(#"{"type":"send","sessionId":"bad","clientId":"m-9","text":"x"}"#)
        XCTAssertEqual(result?.ref, "m-9")
        XCTAssertEqual(failure(#"{"type":"send","sessionId":1,"clientId":"\#(tooLong)","text":"x"}"#)?.code, .invalidField)
        let huge = String(repeating: "y", count: 100_001)
        XCTAssertEqual(failure(#"{"type":"send","sessionId":1,"clientId":"m","text":"\#(huge)"}"#)?.code, .messageTooLong)
    }
}

final class WireEncodingTests: XCTestCase {
    private func object(_ message: ServerMessage) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(WireEncoding.encode(message))) as? [String: Any])
    }

    func testEventRoundTripsThroughJSONWithEscaping() throws {
        let text = "He said \"<script>alert('x')</script>\"\n\ttab \\ back \u{1} ctrl é 🎉"
        let event = SessionEvent(sessionID: 5, seq: 9, at: Date(timeIntervalSince1970: 1_790_000_000.123), kind: .message,
                                 author: Participant(role: .agent, id: "2", name: "Ann \"A\""), text: text, clientMessageID: "c-1")
        let json = try object(.event(event))
        XCTAssertEqual(json["type"] as? String, "event")
        let body = try XCTUnwrap(json["event"] as? [String: Any])
        XCTAssertEqual(body["text"] as? String, text)
        XCTAssertEqual(body["seq"] as? Int, 9)
        XCTAssertEqual(body["sessionId"] as? Int, 5)
        XCTAssertEqual(body["kind"] as? String, "message")
        XCTAssertEqual(body["clientId"] as? String, "c-1")
        XCTAssertEqual(body["at"] as? String, "2026-09-21T14:13:20.123Z")
        XCTAssertEqual((body["author"] as? [String: Any])?["name"] as? String, "Ann \"A\"")
    }

    func testStringsWithoutEscapesTakeTheBulkPathAndStayExact() throws {
        for text in ["Plain text", "Ünïcödé and emoji 🎉 and CJK 漢字", "", "tab\tand \"quotes\" force the slow path"] {
            let event = SessionEvent(sessionID: 1, seq: 1, at: Date(timeIntervalSince1970: 0), kind: .message,
                                     author: Participant(role: .customer, id: "c", name: "C"), text: text)
            let body = try XCTUnwrap(try object(.event(event))["event"] as? [String: Any])
            XCTAssertEqual(body["text"] as? String, text)
        }
    }

    func testAckAndErrorShapes() throws {
        let ack = try object(.ack(clientID: "m1", sessionID: 3, seq: 4, at: Date(timeIntervalSince1970: 1_790_000_000.25)))
        XCTAssertEqual(Set(ack.keys), ["type", "clientId", "sessionId", "seq", "at"])
        XCTAssertEqual(ack["type"] as? String, "ack")
        XCTAssertEqual(ack["clientId"] as? String, "m1")
        XCTAssertEqual(ack["sessionId"] as? Int, 3)
        XCTAssertEqual(ack["seq"] as? Int, 4)
        XCTAssertEqual(ack["at"] as? String, ISOTime.format(Date(timeIntervalSince1970: 1_790_000_000.25)))
        let error = try object(.error(ChatError(.planExcludesChat, "No chat on Basic.", alternative: "ticket"), ref: "r1"))
        XCTAssertEqual(error["code"] as? String, "plan_excludes_chat")
        XCTAssertEqual(error["alternative"] as? String, "ticket")
        XCTAssertEqual(error["ref"] as? String, "r1")
    }

    func testISOTimeFormatsAndParses() {
        XCTAssertEqual(ISOTime.format(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(ISOTime.format(Date(timeIntervalSince1970: 1_790_000_000.5)), "2026-09-21T14:13:20.500Z")
        XCTAssertEqual(ISOTime.parse("2026-09-21T14:13:20Z"), Date(timeIntervalSince1970: 1_790_000_000))
        XCTAssertEqual(ISOTime.parse("1970-01-02"), Date(timeIntervalSince1970: 86_400))
        XCTAssertNil(ISOTime.parse("yesterday"))
    }
}
