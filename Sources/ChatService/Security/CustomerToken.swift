import ChatCore
import Foundation

/// The JWT claims of a customer token, as the host admin panel writes them.
/// Times are NumericDate (seconds since 1970, UTC).
struct CustomerTokenClaims: Codable {
    var org: String?
    var sub: String?
    var name: String?
    var email: String?
    var exp: Double?
    var iat: Double?
    var nbf: Double?
}

/// The JOSE header fields we look at. `crit` is read only so that a token demanding extensions we do
/// not implement is refused, as RFC 7515 §4.1.11 requires.
struct CustomerTokenHeader: Codable {
    var alg: String?
    var typ: String?
    var crit: [String]?
}

/// Verifies customer tokens: HS256 JWTs signed by the host admin panel with the per-deployment secret.
///
/// A value type holding only the secret: safe to share and use from any thread. `verify` is fast
/// (one HMAC-SHA256 and two small JSON decodes), fine on the service thread.
///
/// Order of checks: size and shape, header (`alg` must be exactly `HS256`), signature (constant time),
/// and only then the claims. Error codes:
/// - `token_missing`: the token is empty.
/// - `token_malformed`: over `maxTokenBytes`, not three base64url parts, header or payload not a JSON
///   object, `alg` other than `HS256` (including `none` and absent), unknown `crit`, or a claim missing,
///   empty, holding a control character (other than tab, LF, CR) or of the wrong type (`org`, `sub`, `name`, `email` strings; `exp` required number;
///   `iat`, `nbf` optional numbers).
/// - `token_invalid_signature`: the signature does not match the secret.
/// - `token_expired`: `exp <= now - leeway`, or not yet valid (`nbf > now + leeway`).
/// - `token_lifetime_exceeded`: `exp > now + maxLifetime + leeway` (a token living longer than the deployment
///   allows: a leaked one would stay usable too long).
/// - `token_issued_in_future`: `iat > now + leeway` (the panel's clock is ahead, or the token is forged in time).
public struct CustomerTokenVerifier: Sendable {
    /// Longest token accepted, in bytes. Real tokens are a few hundred bytes.
    public static let maxTokenBytes = 8192

    private let secret: [UInt8]
    /// Clock skew tolerated between the host panel and this server, in seconds.
    public let leewaySeconds: Double
    /// Furthest `exp` may lie ahead of now, in seconds (plus the leeway).
    public let maxLifetimeSeconds: Double

    /// - Parameters:
    ///   - secret: the per-deployment HS256 key (see `DeploymentSecret.load`).
    ///   - leewaySeconds: tolerated clock skew for `exp`, `nbf` and `iat`; must be >= 0.
    ///   - maxLifetimeSeconds: longest accepted remaining lifetime (`exp - now`); must be > 0.
    public init(secret: [UInt8], leewaySeconds: Double = 30, maxLifetimeSeconds: Double = 86_400) {
        precondition(leewaySeconds >= 0 && leewaySeconds.isFinite, "leewaySeconds must be finite and >= 0")
        precondition(maxLifetimeSeconds > 0 && maxLifetimeSeconds.isFinite, "maxLifetimeSeconds must be finite and > 0")
        self.secret = secret
        self.leewaySeconds = leewaySeconds
        self.maxLifetimeSeconds = maxLifetimeSeconds
    }

    /// Checks `token` and returns the customer it names. `now` is the caller's clock (injected).
    /// Safe from any thread; fast.
    public func verify(_ token: String, now: Date) throws(ChatError) -> CustomerIdentity {
        let bytes = Array(token.utf8)
        if bytes.isEmpty { throw ChatError(.tokenMissing, "A customer token is required.") }
        guard bytes.count <= Self.maxTokenBytes else {
            throw malformed("The token is longer than \(Self.maxTokenBytes) bytes.")
        }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw malformed("The token must have three dot-separated parts.")
        }
        guard let headerBytes = Base64URL.decode(Array(parts[0])),
              let payloadBytes = Base64URL.decode(Array(parts[1])),
              let signature = Base64URL.decode(Array(parts[2])) else {
            throw malformed("The token contains invalid base64url.")
        }

        let header: CustomerTokenHeader
        do { header = try JSONDecoder().decode(CustomerTokenHeader.self, from: Data(headerBytes)) } catch {
            throw malformed("The token header is not a valid JSON object.")
        }
        guard header.alg == "HS256" else {
            throw malformed("The token algorithm must be HS256.")
        }
        if let crit = header.crit, !crit.isEmpty {
            throw malformed("The token requires unsupported header extensions.")
        }

        // The signature covers the first two parts exactly as sent.
        let signingInput = Array(bytes[..<parts[1].endIndex])
        let expected = Crypto.hmacSHA256(key: secret, message: signingInput)
        guard Crypto.constantTimeEquals(expected, signature) else {
            throw ChatError(.tokenInvalidSignature, "The token signature is not valid.")
        }

        // Only now are the claims trusted.
        let claims: CustomerTokenClaims
        do { claims = try JSONDecoder().decode(CustomerTokenClaims.self, from: Data(payloadBytes)) } catch {
            throw malformed("The token claims are not a valid JSON object of the expected types.")
        }
        guard let org = claims.org, !org.isEmpty else { throw malformed("The token lacks the org claim.") }
        guard let sub = claims.sub, !sub.isEmpty else { throw malformed("The token lacks the sub claim.") }
        guard let name = claims.name, !name.isEmpty else { throw malformed("The token lacks the name claim.") }
        guard let email = claims.email, !email.isEmpty else { throw malformed("The token lacks the email claim.") }
        // The identity is stored with the chat (as C strings): a control character would be cut or smuggled.
        if [org, sub, name, email].contains(where: \.hasDisallowedControlCharacters) {
            throw malformed("The token claims contain a control character.")
        }
        guard let exp = claims.exp, exp.isFinite else { throw malformed("The token lacks the exp claim.") }
        if let iat = claims.iat, !iat.isFinite { throw malformed("The token iat claim is not a number.") }
        if let nbf = claims.nbf, !nbf.isFinite { throw malformed("The token nbf claim is not a number.") }

        let nowSeconds = now.timeIntervalSince1970
        if exp <= nowSeconds - leewaySeconds {
            throw ChatError(.tokenExpired, "The token has expired; reload the page from the admin panel.")
        }
        if let nbf = claims.nbf, nbf > nowSeconds + leewaySeconds {
            throw ChatError(.tokenExpired, "The token is not valid yet (nbf is in the future); check the server clocks.")
        }
        if exp > nowSeconds + maxLifetimeSeconds + leewaySeconds {
            throw ChatError(.tokenLifetimeExceeded,
                            "The token expires more than \(Int(maxLifetimeSeconds)) s from now; the admin panel must issue shorter-lived tokens.")
        }
        if let iat = claims.iat, iat > nowSeconds + leewaySeconds {
            throw ChatError(.tokenIssuedInFuture, "The token was issued in the future (iat); check the server clocks.")
        }
        return CustomerIdentity(organizationID: org, contactID: sub, name: name, email: email)
    }

    private func malformed(_ message: String) -> ChatError {
        ChatError(.tokenMalformed, message)
    }
}

/// Issues customer tokens in the host admin panel's format (HS256 JWT with `org`, `sub`, `name`,
/// `email`, `iat`, `exp`). Used by the admin CLI and tests; the real panel signs its own.
///
/// A value type holding only the secret: safe from any thread; fast.
public struct CustomerTokenSigner: Sendable {
    private let secret: [UInt8]

    /// - Parameter secret: the per-deployment HS256 key (see `DeploymentSecret.load`).
    public init(secret: [UInt8]) {
        self.secret = secret
    }

    /// A signed token for `identity`, valid from `issuedAt` until `expiresAt`.
    /// Times are written as whole seconds (rounded down). Safe from any thread; fast.
    public func sign(_ identity: CustomerIdentity, issuedAt: Date, expiresAt: Date) -> String {
        let header = CustomerTokenHeader(alg: "HS256", typ: "JWT", crit: nil)
        let claims = CustomerTokenClaims(
            org: identity.organizationID, sub: identity.contactID, name: identity.name, email: identity.email,
            exp: expiresAt.timeIntervalSince1970.rounded(.down),
            iat: issuedAt.timeIntervalSince1970.rounded(.down), nbf: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs of strings and finite numbers cannot fail.
        let headerJSON = try! encoder.encode(header)
        let claimsJSON = try! encoder.encode(claims)
        let signingInput = Base64URL.encode(Array(headerJSON)) + "." + Base64URL.encode(Array(claimsJSON))
        let signature = Crypto.hmacSHA256(key: secret, message: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }
}
