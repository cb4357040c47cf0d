import Foundation
import XCTest
import ChatCore
@testable import ChatService

final class OnCallWebhookTests: XCTestCase {
    static let secret = Array("on-call shared secret".utf8)

    static func notice(ticket: Int64 = 42, subject: String = "Cannot order") -> UrgentNotice {
        UrgentNotice(ticketNumber: ticket, organizationID: "acme", organizationName: "Acme Printing",
                     contactName: "Ann Lee", contactEmail: "ann@acme.test", subject: subject, productID: "webshop",
                     severity: 1, createdAt: Date(timeIntervalSince1970: 1_790_000_000))
    }

    func testBodyIsJSONWithTheExpectedFieldsInStableOrder() throws {
        let body = OnCallWebhook.body(for: Self.notice(), attempt: 2, sentAt: Date(timeIntervalSince1970: 1_790_000_060.5))
        let expected = #"{"event":"urgent_ticket","ticket":{"number":42,"organizationId":"acme","#
            + #""organizationName":"Acme Printing","contactName":"Ann Lee","contactEmail":"ann@acme.test","#
            + #""subject":"Cannot order","product":"webshop","severity":1,"createdAt":"2026-09-21T14:13:20.000Z","#
            + #""reason":"outside_hours"},"attempt":2,"sentAt":"2026-09-21T14:14:20.500Z"}"#
        XCTAssertEqual(String(decoding: body, as: UTF8.self), expected)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        XCTAssertEqual(json["event"] as? String, "urgent_ticket")
        XCTAssertEqual(json["attempt"] as? Int, 2)
        let ticket = try XCTUnwrap(json["ticket"] as? [String: Any])
        XCTAssertEqual(ticket["number"] as? Int, 42)
        XCTAssertEqual(ticket["organizationId"] as? String, "acme")
        XCTAssertEqual(ticket["product"] as? String, "webshop")
        XCTAssertEqual(ticket["severity"] as? Int, 1)
        XCTAssertEqual(ticket["reason"] as? String, "outside_hours")
    }

    func testBodyEscapesUntrustedText() throws {
        let subject = "Quote \" backslash \\ newline \n tab \t bell \u{07} é"
        let body = OnCallWebhook.body(for: Self.notice(subject: subject), attempt: 1, sentAt: Date())
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let ticket = try XCTUnwrap(json["ticket"] as? [String: Any])
        XCTAssertEqual(ticket["subject"] as? String, subject)
    }

    func testReceiverRecomputesTheSignatureOverTimestampDotBody() throws {
        let notice = Self.notice()
        let sentAt = Date(timeIntervalSince1970: 1_790_000_060.5)
        let timestamp = OnCallWebhook.timestamp(sentAt)
        XCTAssertEqual(timestamp, 1_790_000_060)
        let body = OnCallWebhook.body(for: notice, attempt: 1, sentAt: sentAt)
        let headers = OnCallWebhook.headers(for: notice, attempt: 1, timestamp: timestamp, body: body, secret: Self.secret)

        XCTAssertEqual(headers["Content-Type"], "application/json")
        XCTAssertEqual(headers["X-Chatd-Event"], "urgent_ticket")
        XCTAssertEqual(headers["X-Chatd-Timestamp"], "1790000060")
        XCTAssertEqual(headers["X-Chatd-Delivery"], "42-1")

        // What a receiver does, from the documented recipe.
        let signed = Array("\(try XCTUnwrap(headers["X-Chatd-Timestamp"])).".utf8) + body
        let recomputed = "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Self.secret, message: signed))
        XCTAssertEqual(headers["X-Chatd-Signature"], recomputed)

        let signature = try XCTUnwrap(headers["X-Chatd-Signature"])
        XCTAssertTrue(OnCallWebhook.verify(secret: Self.secret, timestampHeader: "1790000060",
                                           signatureHeader: signature, body: body, now: sentAt))
        // Tampered body, other secret, replay with another timestamp, stale timestamp: all refused.
        XCTAssertFalse(OnCallWebhook.verify(secret: Self.secret, timestampHeader: "1790000060",
                                            signatureHeader: signature, body: body + [0x20], now: sentAt))
        XCTAssertFalse(OnCallWebhook.verify(secret: Array("other".utf8), timestampHeader: "1790000060",
                                            signatureHeader: signature, body: body, now: sentAt))
        XCTAssertFalse(OnCallWebhook.verify(secret: Self.secret, timestampHeader: "1790000061",
                                            signatureHeader: signature, body: body, now: sentAt))
        XCTAssertFalse(OnCallWebhook.verify(secret: Self.secret, timestampHeader: "1790000060",
                                            signatureHeader: signature, body: body, now: sentAt.addingTimeInterval(3600)))
    }

    func testConfigDefaultsAndBackoffDoublingUpToTheCap() throws {
        let config = try OnCallConfig(url: "http://127.0.0.1:9000/hook", secret: Self.secret)
        XCTAssertEqual(config.maxAttempts, 5)
        XCTAssertEqual(config.initialBackoffSeconds, 2)
        XCTAssertEqual(config.maxBackoffSeconds, 60)
        XCTAssertEqual(config.timeoutSeconds, 10)
        XCTAssertEqual((1...8).map { config.backoff(afterAttempt: $0) }, [2, 4, 8, 16, 32, 60, 60, 60])
        XCTAssertEqual(config.backoff(afterAttempt: 10_000), 60)
    }

    func testConfigTakesHTTPSAndRefusesInvalidValuesWithAClearError() {
        XCTAssertNoThrow(try OnCallConfig(url: "https://pager.example/hook", secret: Self.secret))
        XCTAssertThrowsError(try OnCallConfig(url: "https://pager.example/hook", secret: Self.secret,
                                              caFile: "/nonexistent/ca.pem")) { error in
            XCTAssertTrue("\(error)".contains("CA file"), "\(error)")
        }
        XCTAssertThrowsError(try OnCallConfig(url: "ftp://x/", secret: Self.secret)) { error in
            XCTAssertTrue("\(error)".contains("only http and https"), "\(error)")
        }
        XCTAssertThrowsError(try OnCallConfig(url: "http://:80/", secret: Self.secret))
        XCTAssertThrowsError(try OnCallConfig(url: "http://127.0.0.1:0/", secret: Self.secret))
        XCTAssertThrowsError(try OnCallConfig(url: "http://127.0.0.1/", secret: []))
        XCTAssertThrowsError(try OnCallConfig(url: "http://127.0.0.1/", secret: Self.secret, maxAttempts: 0))
        XCTAssertThrowsError(try OnCallConfig(url: "http://127.0.0.1/", secret: Self.secret, timeoutSeconds: 0))
        XCTAssertThrowsError(try OnCallConfig(url: "http://127.0.0.1/", secret: Self.secret,
                                              initialBackoffSeconds: 10, maxBackoffSeconds: 5))
    }

    func testURLParsing() throws {
        let full = try WebhookURL(parsing: "http://127.0.0.1:8080/hooks/oncall?x=1")
        XCTAssertEqual(full, WebhookURL(host: "127.0.0.1", port: 8080, path: "/hooks/oncall?x=1"))
        let bare = try WebhookURL(parsing: "HTTP://pager.internal")
        XCTAssertEqual(bare, WebhookURL(host: "pager.internal", port: 80, path: "/"))
        let v6 = try WebhookURL(parsing: "http://[::1]:9/p")
        XCTAssertEqual(v6, WebhookURL(host: "::1", port: 9, path: "/p"))
        XCTAssertEqual(try WebhookURL(parsing: "https://pager.example.com/hook"),
                       WebhookURL(host: "pager.example.com", port: 443, path: "/hook", isTLS: true))
        XCTAssertThrowsError(try WebhookURL(parsing: "ftp://x/")) { error in
            guard case WebhookError.unsupportedScheme = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try WebhookURL(parsing: "http://user@x/"))
        XCTAssertThrowsError(try WebhookURL(parsing: "http://x:99999/"))
        XCTAssertThrowsError(try WebhookURL(parsing: "http://x/a b"))
    }
}
