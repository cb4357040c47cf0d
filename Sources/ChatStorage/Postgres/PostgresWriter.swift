import ChatCore
import Foundation

/// The single writer of chat traffic on PostgreSQL: the same contract as `GroupCommitWriter` (a bounded FIFO of
/// `StorageWrite`s drained by one dedicated thread, one transaction per drain, lingering under load: a
/// `WriteQueue`), over one connection that only the writer thread uses.
///
/// Threading contract:
/// - `submit(_:)`, `queuedCount` and `failure` never wait for the database; they take a lock for a few
///   instructions. They are the only members the libwebsockets service thread may call.
/// - `start()` and `stop()` belong to whoever owns the server's lifecycle; `stop()` blocks until every submitted
///   write is committed or reported failed (called from a callback it only requests the stop).
/// - `onCommit`, `onFailure`, `onStorageState` and the fence's `onLost` run on the writer thread, in commit order.
///   Keep them short: the next batch waits for them.
///
/// `@unchecked Sendable` because the members marked "writer thread only" are touched only by the writer thread
/// (or by the thread calling `stop()` when the writer never started, which then runs the loop itself), which the
/// compiler cannot check; the queue guards its own state, and `store` and the callbacks are Sendable.
public final class PostgresWriter: EventWriter, @unchecked Sendable {
    let store: PostgresStore
    let onCommit: @Sendable (CommitReceipt) -> Void
    let onFailure: @Sendable (StorageFailure) -> Void
    private let queue: WriteQueue

    /// The writer's connection, opened on first use and dropped when found broken. Writer thread only.
    var connection: PGConnection?
    /// Sessions whose event (or row) failed on its own, with the failed seq (0: the row itself). Writer thread only.
    var brokenFrom: [SessionID: Seq] = [:]
    /// Set once the fence's check failed: nothing commits any more. Writer thread only.
    var leaseLost = false
    /// Whether the last failed attempt lost its connection (a COMMIT may then have landed). Writer thread only.
    var connectionDropped = false

    /// Tests only: called before each write is applied inside the transaction; throwing fails it.
    /// Set before `start()`; read on the writer thread.
    public nonisolated(unsafe) var injectedFailure: (@Sendable (StorageWrite) throws -> Void)?

    /// Same parameters as `GroupCommitWriter`.
    public init(store: PostgresStore, capacity: Int, lingerSeconds: Double = 0,
                onCommit: @escaping @Sendable (CommitReceipt) -> Void,
                onFailure: @escaping @Sendable (StorageFailure) -> Void,
                onStorageState: @escaping @Sendable (String?) -> Void = { _ in }) {
        self.store = store
        self.onCommit = onCommit
        self.onFailure = onFailure
        self.queue = WriteQueue(capacity: capacity, lingerSeconds: lingerSeconds,
                                threadName: "chat.storage.pgwriter", onStorageState: onStorageState)
    }

    /// Most writes the queue holds; `submit` refuses writes beyond it.
    public var capacity: Int { queue.capacity }

    /// Starts the writer thread. Calling it again, or after `stop()`, does nothing.
    public func start() { queue.start(self) }

    /// Enqueues `writes`, in order. False, enqueuing nothing, if the queue cannot take all of them or the writer
    /// is stopping. Never blocks beyond a brief lock.
    public func submit(_ writes: [StorageWrite]) -> Bool { queue.submit(writes) }

    /// The last error while commits fail for reasons outside the writes (connection lost), nil when they work.
    public var failure: String? { queue.failure }

    /// Writes waiting in the queue (not counting the batch being committed).
    public var queuedCount: Int { queue.queuedCount }

    /// Refuses new writes, waits until everything submitted is committed or reported failed, closes the
    /// connection and ends the thread. Idempotent; blocking. If `start()` was never called, the queued writes are
    /// committed on this thread.
    public func stop() { queue.stop(self) }

    func setFailing(_ message: String?) { queue.setFailing(message) }

    func shouldGiveUp() -> Bool { queue.shouldGiveUp() }
}

extension PostgresWriter: WriteBatchCommitter {
    func drained() { connection = nil }
}
