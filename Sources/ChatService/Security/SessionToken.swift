/// Staff session tokens: opaque bearer tokens handed to an agent or supervisor after login.
///
/// Only `storageHash(token)` is stored, so a leaked database does not yield usable tokens.
/// Stateless; safe from any thread; fast.
public enum SessionToken {
    /// A new token: 32 bytes from the CSPRNG as unpadded base64url (43 characters).
    /// Traps if the system random generator fails (see `Crypto.randomBytes`).
    public static func generate() -> String {
        Base64URL.encode(Crypto.randomBytes(count: 32))
    }

    /// The value to store and look up for `token`: SHA-256 of its UTF-8 bytes, lowercase hex.
    /// A plain hash suffices (no salt or stretching) because tokens carry 256 random bits.
    public static func storageHash(_ token: String) -> String {
        Crypto.sha256Hex(Array(token.utf8))
    }
}
