import ChatCore
import ChatStorage
import Foundation

/// One upload being written to disk: a temporary file under `DATA/attachments/incoming`, hashed as it grows,
/// with its first bytes kept for sniffing and a running UTF-8 check. Never holds the whole file.
///
/// Threading: created, written, finished and discarded ONLY on the attachment writer thread (one thread, FIFO,
/// so the chunks of an upload are written in the order they arrived). The service thread only holds the
/// reference and passes it into jobs; hence `@unchecked Sendable`.
final class AttachmentUpload: @unchecked Sendable {
    let files: AttachmentFiles
    let temporary: URL
    private let handle: FileHandle
    private let hasher = SHA256Stream()
    private var prefix: [UInt8] = []
    private var text = UTF8TextCheck()
    private(set) var size: Int64 = 0
    private var closed = false

    init(files: AttachmentFiles) throws {
        self.files = files
        temporary = try files.makeIncomingFile()
        handle = try FileHandle(forWritingTo: temporary)
    }

    func write(_ bytes: [UInt8]) throws {
        if prefix.count < AttachmentKind.prefixBytes {
            prefix.append(contentsOf: bytes.prefix(AttachmentKind.prefixBytes - prefix.count))
        }
        hasher.update(bytes)
        text.feed(bytes)
        size += Int64(bytes.count)
        try handle.write(contentsOf: bytes)
    }

    /// Closes the file, checks the content against the allow-list and, if allowed, moves it to its place by
    /// hash. Deletes the temporary file in every case.
    func finish(name: String) throws -> Result<AttachmentInfo, ChatError> {
        try close()
        defer { unlink(temporary.path) }
        guard size > 0 else { return .failure(ChatError(.unsupportedAttachment, "The file is empty.")) }
        guard let (kind, width, height) = AttachmentKind.sniff(prefix, isText: text.isComplete) else {
            return .failure(ChatError(.unsupportedAttachment,
                                      "Only PNG, JPEG, GIF and WebP images, PDF files and UTF-8 text logs can be attached."))
        }
        if let claimed = AttachmentKind.claimed(byName: name), claimed != kind {
            return .failure(ChatError(.unsupportedAttachment,
                                      "The file is named like \(claimed.mediaType) but its content is not."))
        }
        let sha256 = hasher.finish()
        try files.adopt(temporary, sha256: sha256)
        return .success(AttachmentInfo(name: name, size: size, type: kind.mediaType, sha256: sha256,
                                       width: width, height: height))
    }

    /// The upload was refused, cut short or abandoned: nothing of it stays on disk.
    func discard() {
        try? close()
        unlink(temporary.path)
    }

    private func close() throws {
        guard !closed else { return }
        closed = true
        try handle.close()
    }
}
