import ChatCore
import Foundation
import XCTest
@testable import ChatService

final class CustomerTokenTests: XCTestCase {
    let secret = Array("a-test-secret-of-at-least-32-bytes!!".utf8)
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    let alice = CustomerIdentity(organizationID: "org-42", contactID: "c-7", name: "Alice Admin",
                                 email: "alice@example.com")

    var verifier: CustomerTokenVerifier { CustomerTokenVerifier(secret: secret, leewaySeconds: 30) }

    /// Builds a token by hand from raw JSON texts, as another JWT library would.
    func handMade(header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String, key: [UInt8]? = nil) -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        let mac = Crypto.hmacSHA256(key: key ?? secret, message: Array(input.utf8))
        return input + "." + Base64URL.encode(mac)
    }

    /// Alice's claims, issued at `now`, expiring 600 s later unless told otherwise.
    func payload(exp: String = "1790000600", extra: String = "") -> String {
        #"{"org":"org-42","sub":"c-7","name":"Alice Admin","email":"alice@example.com","iat":1790000000,"exp":"#
            + exp + extra + "}"
    }

    func assertCode(_ token: String, _ code: ChatErrorCode, at time: Date? = nil,
                    file: StaticString = #filePath, line: UInt = #line) {
        do {
            let identity = try verifier.verify(token, now: time ?? now)
            XCTFail("expected \(code), got \(identity)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.code, code, error.message, file: file, line: line)
            XCTAssertFalse(error.message.isEmpty, file: file, line: line)
        }
    }

    func testSignerRoundTrip() throws {
        let token = CustomerTokenSigner(secret: secret).sign(alice, issuedAt: now, expiresAt: now + 600)
        XCTAssertEqual(token.split(separator: ".", omittingEmptySubsequences: false).count, 3)
        XCTAssertEqual(try verifier.verify(token, now: now + 300), alice)
        // Another deployment's verifier refuses it.
        let other = CustomerTokenVerifier(secret: Array("another-secret-that-is-long-enough!!".utf8))
        XCTAssertThrowsError(try other.verify(token, now: now)) { error in
            XCTAssertEqual((error as? ChatError)?.code, .tokenInvalidSignature)
        }
    }

    func testSignerWritesStandardJWTJSON() throws {
        let token = CustomerTokenSigner(secret: secret).sign(alice, issuedAt: now, expiresAt: now + 600)
        let parts = token.split(separator: ".").map(String.init)
        let header = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(parts[0])!)) as! [String: Any]
        XCTAssertEqual(header["alg"] as? String, "HS256")
        XCTAssertEqual(header["typ"] as? String, "JWT")
        let claimsText = String(decoding: Base64URL.decode(parts[1])!, as: UTF8.self)
        XCTAssertTrue(claimsText.contains(#""exp":1790000600"#), claimsText)
        XCTAssertTrue(claimsText.contains(#""iat":1790000000"#), claimsText)
        let claims = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(parts[1])!)) as! [String: Any]
        XCTAssertEqual(claims["org"] as? String, "org-42")
        XCTAssertEqual(claims["sub"] as? String, "c-7")
        XCTAssertEqual(claims["name"] as? String, "Alice Admin")
        XCTAssertEqual(claims["email"] as? String, "alice@example.com")
    }

    func testHandMadeTokenInteroperates() throws {
        XCTAssertEqual(try verifier.verify(handMade(payload: payload()), now: now), alice)
        // Header without typ, fractional NumericDate, nbf in the past, extra claims: all fine.
        let token = handMade(header: #"{"alg":"HS256"}"#,
                             payload: payload(exp: "1790000600.5", extra: #","nbf":1789999000,"role":"admin""#))
        XCTAssertEqual(try verifier.verify(token, now: now), alice)
    }

    /// A fixed token computed outside this code base (Python's hmac and base64 modules)
    /// for the secret "a-test-secret-of-at-least-32-bytes!!".
    func testKnownVector() throws {
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            + "eyJvcmciOiJvcmctNDIiLCJzdWIiOiJjLTciLCJuYW1lIjoiQWxpY2UgQWRtaW4iLCJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIiwiaWF0IjoxNzkwMDAwMDAwLCJleHAiOjE3OTAwMDA2MDB9."
            + "p0t704D-mgZOwr7Jj2bLkoGKaShSVU2dmujgo5PaoFk"
        XCTAssertEqual(try verifier.verify(token, now: now), alice)
        XCTAssertEqual(token, handMade(payload: payload()))
    }

    func testForgedSignatureIsRejected() {
        let forged = handMade(payload: payload(), key: Array("another-secret-that-is-long-enough!!".utf8))
        assertCode(forged, .tokenInvalidSignature)
        // A signature of the wrong length, and one with a flipped bit.
        let parts = handMade(payload: payload()).split(separator: ".").map(String.init)
        assertCode(parts[0] + "." + parts[1] + ".AAAA", .tokenInvalidSignature)
        var mac = Base64URL.decode(parts[2])!
        mac[31] ^= 1
        assertCode(parts[0] + "." + parts[1] + "." + Base64URL.encode(mac), .tokenInvalidSignature)
    }

    func testAlteredPayloadWithOldSignatureIsRejected() {
        let original = handMade(payload: payload()).split(separator: ".").map(String.init)
        let altered = payload().replacingOccurrences(of: "org-42", with: "org-43")
        let token = original[0] + "." + Base64URL.encode(Array(altered.utf8)) + "." + original[2]
        assertCode(token, .tokenInvalidSignature)
        // Swapping in a different (valid) header also breaks the signature.
        let header = Base64URL.encode(Array(#"{"alg":"HS256"}"#.utf8))
        assertCode(header + "." + original[1] + "." + original[2], .tokenInvalidSignature)
    }

    func testSignatureIsCheckedBeforeClaims() {
        let zeros = Base64URL.encode([UInt8](repeating: 0, count: 32))
        // Claims that would be malformed, but the signature is wrong: they are never looked at.
        let bad = handMade(payload: #"{"org":1}"#).split(separator: ".").map(String.init)
        assertCode(bad[0] + "." + bad[1] + "." + zeros, .tokenInvalidSignature)
        // An expired token with a wrong signature reports the signature.
        let expired = handMade(payload: payload(exp: "1")).split(separator: ".").map(String.init)
        assertCode(expired[0] + "." + expired[1] + "." + zeros, .tokenInvalidSignature)
    }

    func testAlgorithmMustBeExactlyHS256() {
        // alg none with an empty signature (the classic attack) and with a signature.
        let none = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "."
            + Base64URL.encode(Array(payload().utf8)) + "."
        assertCode(none, .tokenMalformed)
        assertCode(handMade(header: #"{"alg":"none"}"#, payload: payload()), .tokenMalformed)
        assertCode(handMade(header: #"{"alg":"HS512"}"#, payload: payload()), .tokenMalformed)
        assertCode(handMade(header: #"{"alg":"hs256"}"#, payload: payload()), .tokenMalformed)
        assertCode(handMade(header: #"{"alg":"RS256"}"#, payload: payload()), .tokenMalformed)
        assertCode(handMade(header: #"{"typ":"JWT"}"#, payload: payload()), .tokenMalformed)
        assertCode(handMade(header: #"{"alg":256}"#, payload: payload()), .tokenMalformed)
        assertCode(handMade(header: #"["HS256"]"#, payload: payload()), .tokenMalformed)
        assertCode(handMade(header: #"{"alg":"HS256","crit":["exp"]}"#, payload: payload()), .tokenMalformed)
    }

    func testMissingOrIllTypedClaimsAreMalformed() {
        let claims = [
            #"{"org":"org-42","sub":"c-7","name":"Alice","email":"a@example.com"}"#,              // no exp
            #"{"org":"org-42","sub":"c-7","name":"Alice","email":"a@example.com","exp":"soon"}"#, // exp string
            #"{"org":"org-42","sub":"c-7","name":"Alice","email":"a@example.com","exp":null}"#,   // exp null
            #"{"org":"org-42","sub":"c-7","name":"Alice","email":"a@example.com","exp":true}"#,   // exp bool
            #"{"sub":"c-7","name":"Alice","email":"a@example.com","exp":1790000600}"#,            // no org
            #"{"org":"","sub":"c-7","name":"Alice","email":"a@example.com","exp":1790000600}"#,   // empty org
            #"{"org":42,"sub":"c-7","name":"Alice","email":"a@example.com","exp":1790000600}"#,   // org number
            #"{"org":"org-42","name":"Alice","email":"a@example.com","exp":1790000600}"#,         // no sub
            #"{"org":"org-42","sub":"c-7","email":"a@example.com","exp":1790000600}"#,            // no name
            #"{"org":"org-42","sub":"c-7","name":"Alice","exp":1790000600}"#,                     // no email
            #"{"org":"org-42","sub":"c-7","name":"Alice","email":"a@example.com","exp":1790000600,"nbf":"x"}"#,
            #"{"org":"org-42","sub":"c-7","name":"Alice","email":"a@example.com","exp":1790000600,"iat":[]}"#,
            #"["org-42"]"#,
            #"not json"#,
        ]
        for claim in claims {
            assertCode(handMade(payload: claim), .tokenMalformed)
        }
    }

    func testExpiryWithLeeway() {
        let token = handMade(payload: payload()) // exp = now + 600
        XCTAssertNoThrow(try verifier.verify(token, now: now + 600))       // at exp: within leeway
        XCTAssertNoThrow(try verifier.verify(token, now: now + 629))       // 29 s past exp
        assertCode(token, .tokenExpired, at: now + 630)                    // exp <= now - leeway
        assertCode(token, .tokenExpired, at: now + 86_400)
        let strict = CustomerTokenVerifier(secret: secret, leewaySeconds: 0)
        XCTAssertNoThrow(try strict.verify(token, now: now + 599))
        XCTAssertThrowsError(try strict.verify(token, now: now + 600)) { error in
            XCTAssertEqual((error as? ChatError)?.code, .tokenExpired)
        }
    }

    func testNotBeforeInTheFuture() {
        let token = handMade(payload: payload(extra: #","nbf":1790000100"#))
        assertCode(token, .tokenExpired, at: now)                          // 100 s early
        XCTAssertNoThrow(try verifier.verify(token, now: now + 70))        // 30 s early: leeway
        XCTAssertNoThrow(try verifier.verify(token, now: now + 100))
    }

    func testMalformedStrings() {
        let valid = handMade(payload: payload())
        let parts = valid.split(separator: ".").map(String.init)
        assertCode("abc", .tokenMalformed)                                                 // one part
        assertCode(parts[0] + "." + parts[1], .tokenMalformed)                              // two parts
        assertCode(valid + "." + parts[2], .tokenMalformed)                                 // four parts
        assertCode(parts[0] + ".." + parts[2], .tokenMalformed)                             // empty payload
        assertCode(parts[0] + "." + parts[1] + ".", .tokenMalformed)                        // empty signature
        assertCode(parts[0] + "." + parts[1] + "=." + parts[2], .tokenMalformed)            // padding
        assertCode(parts[0] + "." + parts[1] + "." + parts[2] + "!", .tokenMalformed)       // bad base64
        assertCode(" " + valid, .tokenMalformed)
        assertCode("Bearer " + valid, .tokenMalformed)
        let notJSONHeader = Base64URL.encode(Array("hello".utf8)) + "." + parts[1] + "." + parts[2]
        assertCode(notJSONHeader, .tokenMalformed)
        // Correctly signed, but over the 8 KB limit.
        let huge = handMade(payload: payload(extra: #","pad":""# + String(repeating: "x", count: 9000) + "\""))
        assertCode(huge, .tokenMalformed)
    }

    func testEmptyTokenIsMissing() {
        assertCode("", .tokenMissing)
    }
}

extension CustomerTokenTests {
    func testLifetimeBeyondTheMaximumIsRefused() {
        let short = CustomerTokenVerifier(secret: secret, leewaySeconds: 30, maxLifetimeSeconds: 3600)
        func code(exp: Int) -> ChatErrorCode? {
            do { _ = try short.verify(handMade(payload: payload(exp: String(exp))), now: now); return nil }
            catch { return error.code }
        }
        XCTAssertNil(code(exp: 1_790_003_600))                 // exactly the maximum
        XCTAssertNil(code(exp: 1_790_003_630))                 // within the leeway
        XCTAssertEqual(code(exp: 1_790_003_631), .tokenLifetimeExceeded)
        XCTAssertEqual(code(exp: 1_890_000_000), .tokenLifetimeExceeded)
        // The default maximum is a day.
        assertCode(handMade(payload: payload(exp: "1790086431")), .tokenLifetimeExceeded)
        XCTAssertNoThrow(try verifier.verify(handMade(payload: payload(exp: "1790086400")), now: now))
    }

    func testIssuedInTheFutureIsRefusedBeyondTheLeeway() {
        func token(iat: Int) -> String {
            handMade(payload: #"{"org":"org-42","sub":"c-7","name":"Alice Admin","email":"alice@example.com","iat":"#
                + String(iat) + #","exp":1790000600}"#)
        }
        XCTAssertNoThrow(try verifier.verify(token(iat: 1_790_000_030), now: now))
        assertCode(token(iat: 1_790_000_031), .tokenIssuedInFuture)
        assertCode(token(iat: 1_790_000_500), .tokenIssuedInFuture)
        // A token without iat is still accepted (the claim is optional).
        XCTAssertNoThrow(try verifier.verify(handMade(payload:
            #"{"org":"org-42","sub":"c-7","name":"Alice Admin","email":"alice@example.com","exp":1790000600}"#), now: now))
    }
}
