import ChatCore
import Foundation

/// The wire format of the on-call webhook: one HTTP/1.1 POST per attempt.
///
/// Headers:
/// - `Content-Type: application/json`
/// - `X-Chatd-Event: urgent_ticket`
/// - `X-Chatd-Timestamp: <unix seconds>` — when this attempt was signed
/// - `X-Chatd-Signature: sha256=<hex>` — lowercase hex HMAC-SHA256 under the shared secret of the bytes
///   `"<timestamp>.<body>"`: the decimal timestamp exactly as in `X-Chatd-Timestamp`, one ".", then the raw body
/// - `X-Chatd-Delivery: <ticketNumber>-<attempt>` — unique per attempt; a receiver may de-duplicate retries on
///   the ticket number
/// (plus `Host`, `Content-Length` and `Connection: close` from the transport).
///
/// Body (UTF-8 JSON, keys always in this order, timestamps ISO 8601 UTC with milliseconds):
/// `{"event":"urgent_ticket","ticket":{"number":42,"organizationId":"acme","organizationName":"Acme",
/// "contactName":"Ann","contactEmail":"ann@acme.test","subject":"Cannot order","product":"shop",
/// "severity":1,"createdAt":"2026-11-21T23:51:26.123Z","reason":"outside_hours"},"attempt":1,
/// "sentAt":"2026-11-21T23:51:27.000Z"}`
///
/// To verify, a receiver recomputes the HMAC over `timestamp + "." + body` with the shared secret, compares it
/// with the header in constant time, and rejects timestamps far from its own clock (for example more than
/// 5 minutes): because the timestamp is signed, a captured request cannot be replayed later with a fresh one.
/// `verify` does exactly that.
///
/// Every function is pure and safe from any thread.
public enum OnCallWebhook {
    /// The event name, in the body and in `X-Chatd-Event`.
    public static let event = "urgent_ticket"

    /// The JSON body of attempt `attempt` (1-based) of `notice`, sent at `sentAt`.
    public static func body(for notice: UrgentNotice, attempt: Int, sentAt: Date) -> [UInt8] {
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.field("event", event)
        json.key("ticket")
        json.beginObject()
        json.field("number", notice.ticketNumber)
        json.field("organizationId", notice.organizationID)
        json.field("organizationName", notice.organizationName)
        json.field("contactName", notice.contactName)
        json.field("contactEmail", notice.contactEmail)
        json.field("subject", notice.subject)
        json.field("product", notice.productID)
        json.field("severity", notice.severity)
        json.field("createdAt", date: notice.createdAt)
        json.field("reason", notice.reason)
        json.endObject()
        json.field("attempt", attempt)
        json.field("sentAt", date: sentAt)
        json.endObject()
        return json.bytes
    }

    /// `"sha256=" + hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`.
    public static func signature(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        let message = Array("\(timestamp).".utf8) + body
        return "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: secret, message: message))
    }

    /// The unix-seconds timestamp signed for an attempt made at `date`.
    public static func timestamp(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    /// The headers of attempt `attempt` of `notice`, signing `body` at `timestamp`.
    public static func headers(for notice: UrgentNotice, attempt: Int, timestamp: Int64, body: [UInt8],
                               secret: [UInt8]) -> [String: String] {
        [
            "Content-Type": "application/json",
            "X-Chatd-Event": event,
            "X-Chatd-Timestamp": String(timestamp),
            "X-Chatd-Signature": signature(secret: secret, timestamp: timestamp, body: body),
            "X-Chatd-Delivery": "\(notice.ticketNumber)-\(attempt)",
        ]
    }

    /// A receiver's check: the signature matches `"<timestampHeader>.<body>"` (constant-time comparison) and the
    /// timestamp is within `toleranceSeconds` of `now`.
    public static func verify(secret: [UInt8], timestampHeader: String, signatureHeader: String, body: [UInt8],
                              now: Date, toleranceSeconds: Double = 300) -> Bool {
        guard let timestamp = Int64(timestampHeader), String(timestamp) == timestampHeader,
              abs(Double(timestamp) - now.timeIntervalSince1970) <= toleranceSeconds else { return false }
        let expected = signature(secret: secret, timestamp: timestamp, body: body)
        return Crypto.constantTimeEquals(Array(expected.utf8), Array(signatureHeader.utf8))
    }
}
