import ChatCore
import Foundation

/// The content-addressed file store of attachments: `DATA/attachments/<aa>/<bb>/<sha256>` beside the database
/// (`aa`, `bb`: the hash's first two byte pairs, so that no directory holds more than a few thousand files).
/// A file is written once per content and shared by every chat that attached the same bytes; the `attachments`
/// table (v17-attachments) says which chats use it.
///
/// Threading: plain file-system calls; blocking, thread-safe, never on the service thread.
public struct AttachmentFiles: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// Where a temporary upload is written before its hash is known (same file system, so `adopt` is a rename).
    public var incomingDirectory: URL { root.appendingPathComponent("incoming", isDirectory: true) }

    public static func isValidHash(_ sha256: String) -> Bool {
        sha256.utf8.count == 64 && sha256.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    public func url(forSHA256 sha256: String) -> URL? {
        guard Self.isValidHash(sha256) else { return nil }
        let a = String(sha256.prefix(2)), b = String(sha256.dropFirst(2).prefix(2))
        return root.appendingPathComponent(a, isDirectory: true).appendingPathComponent(b, isDirectory: true)
            .appendingPathComponent(sha256)
    }

    /// A new empty temporary file for one upload.
    public func makeIncomingFile() throws -> URL {
        try FileManager.default.createDirectory(at: incomingDirectory, withIntermediateDirectories: true)
        let url = incomingDirectory.appendingPathComponent(UUID().uuidString + ".part")
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return url
    }

    /// Moves a finished upload to its place by content hash. When the same content is already stored, the
    /// upload is dropped and the stored file kept. Returns the stored file's URL.
    @discardableResult
    public func adopt(_ incoming: URL, sha256: String) throws -> URL {
        guard let target = url(forSHA256: sha256) else { throw CocoaError(.fileWriteInvalidFileName) }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        // rename(2) replaces an existing file atomically: identical bytes, and it refreshes a file a concurrent
        // retention run might have just deleted.
        if rename(incoming.path, target.path) != 0 { throw CocoaError(.fileWriteUnknown) }
        return target
    }

    /// Deletes the files of these hashes (a missing file is not an error).
    public func remove(_ hashes: some Sequence<String>) {
        for hash in hashes {
            if let url = url(forSHA256: hash) { unlink(url.path) }
        }
    }
}
