import ChatCore
import Foundation

/// The lease a node must still hold for its chat writes to commit (cluster fencing). When set on a
/// `PostgresStore` (`setWriteFence`), every transaction of its `PostgresWriter` first checks, `FOR SHARE`, that
/// `cluster_leases` still has the row (`leaseName`, `holder`, `generation`); the lease's new holder bumps the
/// generation, and its UPDATE waits for transactions holding the share lock, so once the lease moved no further
/// write of the old holder commits. On a failed check the writer rolls back, calls `onLost` once (on the writer
/// thread) and fails every write from then on with "lease lost".
///
/// Plain value; any thread.
public struct WriteFence: Sendable {
    public let leaseName: String
    public let holder: String
    public let generation: Int64
    public let onLost: @Sendable () -> Void

    public init(leaseName: String, holder: String, generation: Int64, onLost: @escaping @Sendable () -> Void) {
        self.leaseName = leaseName
        self.holder = holder
        self.generation = generation
        self.onLost = onLost
    }
}

/// The store's current fence. `@unchecked Sendable`: the one mutable field is guarded by `lock`.
final class WriteFenceBox: @unchecked Sendable {
    private let lock = NSLock()
    private var fence: WriteFence?

    var current: WriteFence? {
        get { lock.withLock { fence } }
        set { lock.withLock { fence = newValue } }
    }
}

extension PostgresStore {
    /// Sets (or, with nil, removes) the lease the chat writer checks before each transaction. Set it before the
    /// writer starts; a change applies from the writer's next transaction. Thread-safe.
    public func setWriteFence(_ fence: WriteFence?) {
        writeFence.current = fence
    }

    /// The chat writer of this store (see `PostgresWriter`). Its connection is opened on its own thread.
    public func makeWriter(capacity: Int, lingerSeconds: Double,
                           onCommit: @escaping @Sendable (CommitReceipt) -> Void,
                           onFailure: @escaping @Sendable (StorageFailure) -> Void,
                           onStorageState: @escaping @Sendable (String?) -> Void) -> any EventWriter {
        PostgresWriter(store: self, capacity: capacity, lingerSeconds: lingerSeconds, onCommit: onCommit,
                       onFailure: onFailure, onStorageState: onStorageState)
    }
}

/// Raised inside a writer transaction when the fence's lease row is gone or has moved.
struct LeaseLostError: Error, CustomStringConvertible {
    var description: String { "lease lost" }
}
