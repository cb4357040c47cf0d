import COpenSSL

/// Cryptographic primitives over OpenSSL's libcrypto, the one cryptography library of this server.
///
/// Every function is stateless and safe to call from any thread. All are fast (microseconds) except
/// `pbkdf2SHA256`, whose cost grows with the iteration count (hundreds of milliseconds at 600,000).
public enum Crypto {
    /// HMAC-SHA256 of `message` under `key` (32 bytes). Safe from any thread; fast.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLength: UInt32 = 0
        // OpenSSL treats a NULL key as "no key given"; pass a real (possibly empty) buffer instead.
        let result = withNonNullPointer(key) { keyPointer in
            withNonNullPointer(message) { messagePointer in
                out.withUnsafeMutableBufferPointer { outPointer in
                    HMAC(EVP_sha256(), keyPointer, Int32(key.count), messagePointer, message.count,
                         outPointer.baseAddress, &outLength)
                }
            }
        }
        precondition(result != nil && outLength == 32, "libcrypto HMAC-SHA256 failed")
        return Array(out.prefix(Int(outLength)))
    }

    /// SHA-256 digest of `bytes` (32 bytes). Safe from any thread; fast.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outLength: UInt32 = 0
        let ok = withNonNullPointer(bytes) { pointer in
            out.withUnsafeMutableBufferPointer { outPointer in
                EVP_Digest(pointer, bytes.count, outPointer.baseAddress, &outLength, EVP_sha256(), nil)
            }
        }
        precondition(ok == 1 && outLength == 32, "libcrypto SHA-256 failed")
        return Array(out.prefix(Int(outLength)))
    }

    /// SHA-256 digest of `bytes` as 64 lowercase hexadecimal characters. Safe from any thread; fast.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(sha256(bytes))
    }

    /// `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`). Safe from any thread; fast.
    ///
    /// Traps if the generator fails: there is no safe fallback for secrets, salts and session tokens,
    /// and a process that cannot produce randomness must not keep issuing credentials.
    public static func randomBytes(count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "randomBytes: count out of range")
        var out = [UInt8](repeating: 0, count: count)
        if count == 0 { return out }
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard ok == 1 else {
            fatalError("RAND_bytes failed: the system random number generator is unavailable")
        }
        return out
    }

    /// Compares two byte strings in time that depends only on their lengths (`CRYPTO_memcmp`), so a
    /// caller comparing a secret MAC or hash leaks nothing about where they differ. Lengths are not secret.
    /// Safe from any thread; fast.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
        }
    }

    /// PBKDF2-HMAC-SHA256 (`PKCS5_PBKDF2_HMAC`), deriving `keyLength` bytes.
    ///
    /// Safe from any thread. **Slow by design**: cost is linear in `iterations` (hundreds of milliseconds
    /// at 600,000 on a server core); never call it on the WebSocket service thread.
    /// `iterations` must be in 1...Int32.max and `keyLength` in 1...1024.
    public static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int) -> [UInt8] {
        precondition(iterations >= 1 && iterations <= Int(Int32.max), "pbkdf2SHA256: iterations out of range")
        precondition(keyLength >= 1 && keyLength <= 1024, "pbkdf2SHA256: keyLength out of range")
        var out = [UInt8](repeating: 0, count: keyLength)
        let ok = withNonNullPointer(password) { passwordPointer in
            withNonNullPointer(salt) { saltPointer in
                out.withUnsafeMutableBufferPointer { outPointer in
                    passwordPointer.withMemoryRebound(to: CChar.self, capacity: max(password.count, 1)) { passwordChars in
                        PKCS5_PBKDF2_HMAC(passwordChars, Int32(password.count), saltPointer, Int32(salt.count),
                                          Int32(iterations), EVP_sha256(), Int32(keyLength), outPointer.baseAddress)
                    }
                }
            }
        }
        precondition(ok == 1, "libcrypto PBKDF2 failed")
        return out
    }

    /// Lowercase hexadecimal text of `bytes`. Safe from any thread; fast.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Calls `body` with a pointer that is never NULL, even for an empty array: libcrypto gives NULL
    /// arguments special meanings in places (for HMAC, "reuse the previous key").
    private static func withNonNullPointer<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>) -> R) -> R {
        if bytes.isEmpty {
            var zero: UInt8 = 0
            return withUnsafePointer(to: &zero) { body($0) }
        }
        return bytes.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

extension Crypto {
    /// Unpadded base64url text of `bytes` (see `Base64URL.encode`). Safe from any thread; fast.
    public static func base64URLEncode(_ bytes: [UInt8]) -> String { Base64URL.encode(bytes) }

    /// Strict unpadded base64url decoding; nil on any invalid character or length (see `Base64URL.decode`).
    /// Safe from any thread; fast.
    public static func base64URLDecode(_ text: String) -> [UInt8]? { Base64URL.decode(text) }
}
