import ChatCore

/// The SQLite backend: `ChatStore` answers every `StorageBackend` method itself; its writer is the group-commit
/// writer over the same file.
extension ChatStore: StorageBackend {
    public var kind: String { "sqlite" }

    public func makeWriter(capacity: Int, lingerSeconds: Double,
                           onCommit: @escaping @Sendable (CommitReceipt) -> Void,
                           onFailure: @escaping @Sendable (StorageFailure) -> Void,
                           onStorageState: @escaping @Sendable (String?) -> Void) -> any EventWriter {
        GroupCommitWriter(store: self, capacity: capacity, lingerSeconds: lingerSeconds, onCommit: onCommit,
                          onFailure: onFailure, onStorageState: onStorageState)
    }
}

extension GroupCommitWriter: EventWriter {}
