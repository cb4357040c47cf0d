import ChatCore

/// A chat write that `GroupCommitWriter` could not make durable, even alone in its own transaction.
///
/// Delivered through the writer's `onFailure` callback, on the writer thread. Plain value; safe to pass on.
public struct StorageFailure: Sendable {
    /// The write that was not applied. Nothing of it is on disk.
    public var write: StorageWrite
    /// Why, in words (the SQLite or storage error).
    public var message: String

    public init(write: StorageWrite, message: String) {
        self.write = write
        self.message = message
    }
}
