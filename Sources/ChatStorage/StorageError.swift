import ChatCore

/// A storage refusal or failure with a stable machine code and a human sentence.
///
/// Codes (never renamed):
/// - `organization_exists`: `createOrganization` with an id already in use.
/// - `username_taken`: `createStaff` with a username already in use (compared case-insensitively).
/// - `token_exists`: `insertStaffToken` with a hash already stored.
/// - `not_found`: the organization, staff account or session a write refers to does not exist.
/// - `corrupt_row`: a stored value could not be read back as a domain value (for example an unknown state).
/// - `seq_out_of_order`: an appended event's seq is not the next one of its session (a duplicate or a gap).
///
/// Errors raised by SQLite itself reach callers as GRDB's `DatabaseError`, which carries the SQL and the
/// SQLite result code.
///
/// Plain value; safe on any thread.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func organizationExists(_ id: String) -> StorageError {
        StorageError(code: "organization_exists", message: "An organization with id \"\(id)\" already exists.")
    }

    static func usernameTaken(_ username: String) -> StorageError {
        StorageError(code: "username_taken", message: "The username \"\(username)\" is already taken.")
    }

    static let tokenExists = StorageError(code: "token_exists", message: "This staff token is already stored.")

    static func notFound(_ what: String) -> StorageError {
        StorageError(code: "not_found", message: "\(what) does not exist.")
    }

    static func seqOutOfOrder(_ session: SessionID, seq: Seq, expected: Seq) -> StorageError {
        StorageError(code: "seq_out_of_order",
                     message: "Event \(seq) of session \(session) is not the next one (\(expected)).")
    }

    static func corruptRow(_ what: String) -> StorageError {
        StorageError(code: "corrupt_row", message: "A stored row could not be read: \(what).")
    }
}
