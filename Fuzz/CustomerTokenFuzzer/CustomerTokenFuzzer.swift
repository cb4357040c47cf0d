// libFuzzer target: the customer token (HS256 JWT) verifier. The first byte picks the mode:
// even: the rest is a token as received; odd: the rest is "header JSON\npayload JSON", which the harness encodes
// and signs with the test secret so that the claim checks behind the signature are reached too.
// Built only by Scripts/fuzz (CHATD_FUZZ=1, -sanitize=fuzzer); see Fuzz/README.md.
@testable import ChatService
import ChatCore
import Foundation

private let secret = Array("fuzzing-secret-of-at-least-32-bytes!".utf8)
private let verifier = CustomerTokenVerifier(secret: secret, leewaySeconds: 30)
private let now = Date(timeIntervalSince1970: 1_800_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func customerTokenFuzzer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let token: String
    if data[0] & 1 == 0 {
        token = String(decoding: input, as: UTF8.self)
    } else {
        let parts = input.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false)
        let header = Base64URL.encode(Array(parts[0]))
        let payload = Base64URL.encode(parts.count > 1 ? Array(parts[1]) : [])
        let signature = Crypto.hmacSHA256(key: secret, message: Array((header + "." + payload).utf8))
        token = header + "." + payload + "." + Base64URL.encode(signature)
    }
    if let identity = try? verifier.verify(token, now: now) {
        let fields = [identity.organizationID, identity.contactID, identity.name, identity.email]
        precondition(fields.allSatisfy { !$0.isEmpty && !$0.hasDisallowedControlCharacters })
    }
    return 0
}
