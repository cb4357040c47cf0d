/// Hashes and checks staff passwords with PBKDF2-HMAC-SHA256 (libcrypto `PKCS5_PBKDF2_HMAC`).
///
/// Encoded form: `pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>` with a 16-byte random salt
/// and a 32-byte derived key. The password is hashed as its UTF-8 bytes, without Unicode normalization.
///
/// A value type: safe from any thread. **`hash` and `verify` are slow by design** (hundreds of
/// milliseconds at the default 600,000 iterations, OWASP's current figure for PBKDF2-HMAC-SHA256):
/// run them on a worker thread, never on the WebSocket service thread.
public struct PasswordHasher: Sendable {
    /// The scheme tag at the start of every encoded hash.
    public static let scheme = "pbkdf2-sha256"
    /// Highest iteration count `verify` accepts from a stored hash, so a tampered row cannot stall a worker.
    public static let maxIterations = 100_000_000
    static let saltLength = 16
    static let keyLength = 32

    /// Iterations used by `hash` for new hashes.
    public let iterations: Int

    /// - Parameter iterations: cost of new hashes, 1...`maxIterations` (production: 600,000; tests: ~1,000).
    ///   Existing hashes keep the count they were made with.
    public init(iterations: Int = 600_000) {
        precondition(iterations >= 1 && iterations <= Self.maxIterations, "PasswordHasher: iterations out of range")
        self.iterations = iterations
    }

    /// A new encoded hash of `password` with a fresh random salt. Safe from any thread; **slow**.
    public func hash(_ password: String) -> String {
        let salt = Crypto.randomBytes(count: Self.saltLength)
        let key = Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: salt,
                                      iterations: iterations, keyLength: Self.keyLength)
        return "\(Self.scheme)$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(key))"
    }

    /// Whether `password` matches `encoded`, using the iteration count stored in `encoded` (so lowering
    /// the configured cost does not lock out older accounts). Compares in constant time. Returns false,
    /// never traps, for any malformed or unsupported encoding. Safe from any thread; **slow**.
    public func verify(_ password: String, against encoded: String) -> Bool {
        guard let parsed = Self.parse(encoded) else { return false }
        let key = Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: parsed.salt,
                                      iterations: parsed.iterations, keyLength: parsed.hash.count)
        return Crypto.constantTimeEquals(key, parsed.hash)
    }

    /// A stand-in hash with this hasher's iteration count, for usernames that do not exist: verifying
    /// against it costs as much as a wrong password for a real account, so the answer time does not tell
    /// which usernames exist. Its key is random bytes, not the hash of any password, so nothing matches it
    /// (short of guessing 256 random bits). Safe from any thread; fast (no hashing).
    public func unknownAccountHash() -> String {
        let salt = Crypto.randomBytes(count: Self.saltLength)
        let key = Crypto.randomBytes(count: Self.keyLength)
        return "\(Self.scheme)$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(key))"
    }

    /// The iteration count stored in `encoded`, or nil if it is malformed. Lets the login path
    /// re-hash passwords made with a lower cost than the configured one. Safe from any thread; fast.
    public static func iterations(of encoded: String) -> Int? {
        parse(encoded)?.iterations
    }

    private static func parse(_ encoded: String) -> (iterations: Int, salt: [UInt8], hash: [UInt8])? {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 4, fields[0] == scheme else { return nil }
        let digits = fields[1].utf8
        guard !digits.isEmpty, digits.count <= 9, digits.first != UInt8(ascii: "0"),
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let iterations = Int(fields[1]), iterations >= 1, iterations <= maxIterations else { return nil }
        guard let salt = Base64URL.decode(String(fields[2])), salt.count >= 8, salt.count <= 1024,
              let hash = Base64URL.decode(String(fields[3])), hash.count >= 16, hash.count <= 1024 else { return nil }
        return (iterations, salt, hash)
    }
}
