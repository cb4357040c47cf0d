import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-deployment HS256 secret shared with the host admin panel, which signs customer tokens with it.
///
/// The secret is a line of text and the HMAC key is its UTF-8 bytes, exactly as most JWT libraries treat
/// a string secret, so the operator can paste the same text into the panel's configuration.
/// Stateless; safe from any thread. `load` does blocking file I/O: call it at start-up.
public enum DeploymentSecret {
    /// The environment variable that, when set, supplies the secret and overrides the file.
    public static let environmentVariable = "CHATD_JWT_SECRET"
    /// The file name inside the data directory.
    public static let fileName = "jwt-secret"
    /// Shortest secret accepted, in bytes: RFC 7518 §3.2 requires an HS256 key of at least 256 bits.
    public static let minimumLength = 32

    /// The secret's bytes: from `CHATD_JWT_SECRET` if set, else from `<dataDirectory>/jwt-secret`,
    /// creating that file if absent (32 random bytes as base64url text, mode 0600; the directory is
    /// created, mode 0700, if missing). Surrounding whitespace, such as a final newline, is ignored.
    ///
    /// Throws `ConfigurationError` if the secret is shorter than `minimumLength` bytes (including an
    /// empty variable or file: an empty or truncated file is never silently replaced, since that would
    /// invalidate the panel's tokens), or if the file cannot be read or created.
    /// Safe from any thread; blocking I/O.
    public static func load(dataDirectory: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [UInt8] {
        if let value = environment[environmentVariable] {
            return try validated(value, source: "environment variable \(environmentVariable)")
        }
        let directory = URL(fileURLWithPath: dataDirectory, isDirectory: true)
        let path = directory.appendingPathComponent(fileName).path
        if let existing = try readIfPresent(path) {
            return try validated(existing, source: path)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw ConfigurationError("cannot create data directory \(dataDirectory): \(error.localizedDescription)")
        }
        let created = Base64URL.encode(Crypto.randomBytes(count: 32))
        if try createExclusively(path, contents: created + "\n") {
            return Array(created.utf8)
        }
        // Another process created it between our read and our create: use theirs.
        guard let raced = try readIfPresent(path) else {
            throw ConfigurationError("cannot create \(path): it vanished while being created")
        }
        return try validated(raced, source: path)
    }

    private static func validated(_ text: String, source: String) throws -> [UInt8] {
        let bytes = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard bytes.count >= minimumLength else {
            throw ConfigurationError(
                "the JWT secret from \(source) is \(bytes.count) bytes; at least \(minimumLength) are required")
        }
        return bytes
    }

    private static func readIfPresent(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(path) is not UTF-8 text")
        }
        return text
    }

    /// Writes a temporary file with mode 0600, then hard-links it into place, so the secret file
    /// appears whole or not at all and an existing one is never overwritten. False if `path` exists.
    private static func createExclusively(_ path: String, contents: String) throws -> Bool {
        let temporary = path + ".tmp-" + Base64URL.encode(Crypto.randomBytes(count: 6))
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw ConfigurationError("cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        defer { unlink(temporary) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        // umask can only clear bits, but state the mode outright.
        let modeSet = fchmod(descriptor, 0o600) == 0
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, modeSet, synced else {
            throw ConfigurationError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        if link(temporary, path) != 0 {
            if errno == EEXIST { return false }
            throw ConfigurationError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        return true
    }
}
