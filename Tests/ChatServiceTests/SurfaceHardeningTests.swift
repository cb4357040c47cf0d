import ChatCore
import ChatTransport
import Foundation
import XCTest
@testable import ChatService

/// Issue 9 hardening, unit level: control characters in text, the static pages' headers, widget framing origins.
final class SurfaceHardeningTests: XCTestCase {
    private func decode(_ object: [String: Any]) -> Result<ClientFrame, DecodingFailure> {
        let data = try! JSONSerialization.data(withJSONObject: object)
        return Array(data).withUnsafeBytes { WireDecoding.decode($0) }
    }

    func testControlCharactersOtherThanTabLineFeedAndReturnAreDetected() {
        for scalar in (0x00...0x1F).compactMap(Unicode.Scalar.init) {
            let text = "a\(Character(scalar))b"
            XCTAssertEqual(text.hasDisallowedControlCharacters, ![0x09, 0x0A, 0x0D].contains(scalar.value), "\(scalar.value)")
        }
        XCTAssertFalse("é€😀 \u{7F}\u{85}\u{2028}".hasDisallowedControlCharacters)
    }

    func testEveryStringFieldOfEveryFrameRefusesNul() {
        let frames: [[String: Any]] = [
            ["type": "hello", "token": "a.b.c"],
            ["type": "request_chat", "product": "pressero", "subject": "S", "text": "T", "clientId": "r1", "timeZone": "UTC"],
            ["type": "send", "sessionId": 1, "clientId": "m1", "text": "hi"],
            ["type": "set_status", "status": "away"],
            ["type": "convert", "sessionId": 1, "category": "request"],
            ["type": "propose_services", "sessionId": 1, "rate": "standard", "description": "D", "estimateHours": 1],
        ]
        for frame in frames {
            guard case .success = decode(frame) else { return XCTFail("valid frame refused: \(frame)") }
            for (key, value) in frame where key != "type" {
                guard let text = value as? String else { continue }
                var bad = frame
                bad[key] = text + "\u{0}tail"
                guard case .failure(let failure) = decode(bad) else { return XCTFail("\(key) with NUL accepted") }
                XCTAssertEqual(failure.code, .invalidField, key)
                XCTAssertTrue(failure.message.contains("\"\(key)\""), failure.message)
            }
        }
    }

    func testTicketBodiesAndQueriesRefuseControls() {
        let body = #"{"subject":"S\u0000x","product":"pressero","category":"request","severity":2,"description":"D"}"#
        guard case .failure(let error) = TicketRoutes.newTicket(Array(body.utf8), policy: .defaults) else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(error.code, .invalidField)
        guard case .failure = TicketRoutes.replyText(Array(#"{"text":"a\u0007"}"#.utf8)) else { return XCTFail("accepted") }
        guard case .failure = TranscriptQuery.parse(["contact": "c1\u{1}"]) else { return XCTFail("accepted") }
        guard case .failure = TicketRoutes.filter(["organization\u{0}": "x"], policy: .defaults) else { return XCTFail("accepted") }
        guard case .success(let text) = TicketRoutes.replyText(Array(#"{"text":"line\r\nline\tend"}"#.utf8)) else {
            return XCTFail("refused")
        }
        XCTAssertEqual(text, "line\r\nline\tend")
    }

    func testStaticHeaderRules() {
        let rules = WebClientHeaders.rules(widgetFrameAncestors: ["https://admin.example.com"])
        let console = StaticHeaderRuleProbe.headers("/console/index.html", rules)
        XCTAssertTrue(console["Content-Security-Policy"]?.hasSuffix("frame-ancestors 'none'") ?? false)
        XCTAssertEqual(console["X-Frame-Options"], "DENY")
        let widget = StaticHeaderRuleProbe.headers("/widget/widget.js", rules)
        XCTAssertTrue(widget["Content-Security-Policy"]?.hasSuffix("frame-ancestors 'self' https://admin.example.com") ?? false)
        XCTAssertNil(widget["X-Frame-Options"])
        for headers in [console, widget] {
            XCTAssertEqual(headers["Referrer-Policy"], "no-referrer")
            XCTAssertTrue(headers["Content-Security-Policy"]?.contains("script-src 'self';") ?? false)
            XCTAssertFalse(headers["Content-Security-Policy"]?.contains("unsafe") ?? true)
        }
        let selfOnly = StaticHeaderRuleProbe.headers("/demo/", WebClientHeaders.rules(widgetFrameAncestors: []))
        XCTAssertEqual(selfOnly["X-Frame-Options"], "SAMEORIGIN")
    }

    func testWidgetFrameAncestorsMustBeOrigins() throws {
        for good in ["https://admin.example.com", "http://localhost:8080", "https://*.example.com", "http://[::1]:80"] {
            XCTAssertTrue(WebClientHeaders.isValidOrigin(good), good)
        }
        for bad in ["admin.example.com", "https://a.example.com/path", "https://a.example.com; script-src *",
                    "'self'", "https://", "https://a*.example.com", "javascript:alert(1)", "*"] {
            XCTAssertFalse(WebClientHeaders.isValidOrigin(bad), bad)
        }
        var config = ServerConfig()
        config.widgetFrameAncestors = ["https://ok.example.com", "https://x.example.com 'unsafe-inline'"]
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertTrue("\(error)".contains("widgetFrameAncestors"), "\(error)")
        }
    }
}

/// The transport's longest-prefix choice, seen from outside ChatTransport.
private enum StaticHeaderRuleProbe {
    static func headers(_ path: String, _ rules: [StaticHeaderRule]) -> [String: String] {
        rules.filter { path.hasPrefix($0.pathPrefix) }.max { $0.pathPrefix.count < $1.pathPrefix.count }?.headers ?? [:]
    }
}
