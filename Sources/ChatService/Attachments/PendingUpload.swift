import ChatCore
import ChatTransport
import Foundation

/// An upload between its head and its answer, on the service thread (`ChatServer+Attachments.swift`).
struct PendingUpload {
    let request: HTTPRequest
    let sessionID: SessionID
    let name: String
    let box: UploadBox
    /// The uploader, once the token is checked.
    var principal: Result<Principal, ChatError>?
    /// The checked, stored file, once the whole body is written.
    var stored: Result<AttachmentInfo, ChatError>?
    /// Refused early (queue full, write failed): the rest of the body is dropped.
    var refusal: ChatError?
    /// The engine has it: only its answer (`attachmentAnswered`) remains.
    var attached = false
}

/// The worker side of an upload: the file being written. Touched ONLY on the attachment writer thread (jobs for
/// one upload run there in order); the service thread only passes the box along, hence `@unchecked Sendable`.
final class UploadBox: @unchecked Sendable {
    var upload: AttachmentUpload?
    var failure: (any Error)?
}

/// How many uploads adopted each content hash and are not settled yet (their event neither committed nor refused):
/// such a file must not be deleted by another upload's refusal even though no committed row names it yet.
/// Touched ONLY on the attachment writer thread, hence `@unchecked Sendable`.
final class AdoptedFiles: @unchecked Sendable {
    var counts: [String: Int] = [:]
}
