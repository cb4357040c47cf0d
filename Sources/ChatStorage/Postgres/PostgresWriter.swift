import ChatCore
import Foundation

/// The single writer of chat traffic on PostgreSQL: the same contract as `GroupCommitWriter` (a bounded FIFO of
/// `StorageWrite`s drained by one dedicated thread, one transaction per drain, lingering under load), over one
/// connection that only the writer thread uses.
///
/// Threading contract:
/// - `submit(_:)`, `queuedCount` and `failure` never wait for the database; they take a lock for a few
///   instructions. They are the only members the libwebsockets service thread may call.
/// - `start()` and `stop()` belong to whoever owns the server's lifecycle; `stop()` blocks until every submitted
///   write is committed or reported failed (called from a callback it only requests the stop).
/// - `onCommit`, `onFailure`, `onStorageState` and the fence's `onLost` run on the writer thread, in commit order.
///   Keep them short: the next batch waits for them.
///
/// `@unchecked Sendable` because the mutable state below is guarded by `condition` (an NSCondition), which the
/// compiler cannot check, except the members marked "writer thread only", which only the writer thread touches
/// (or the thread calling `stop()` when the writer never started, which then runs the loop itself).
public final class PostgresWriter: EventWriter, @unchecked Sendable {
    let store: PostgresStore
    public let capacity: Int
    let onCommit: @Sendable (CommitReceipt) -> Void
    let onFailure: @Sendable (StorageFailure) -> Void
    private let onStorageState: @Sendable (String?) -> Void
    private let lingerMicroseconds: UInt32

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [StorageWrite] = []
    private var loopClaimed = false
    private var stopRequested = false
    private var stopRetries = 0
    private var finished = false
    private var writerThread: Thread?
    private var failingMessage: String?

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
        self.capacity = max(1, capacity)
        self.lingerMicroseconds = UInt32(max(0, min(lingerSeconds, 0.1)) * 1_000_000)
        self.onCommit = onCommit
        self.onFailure = onFailure
        self.onStorageState = onStorageState
        queue.reserveCapacity(min(self.capacity, 65_536))
    }

    /// Starts the writer thread. Calling it again, or after `stop()`, does nothing.
    public func start() {
        condition.lock()
        guard !loopClaimed, !stopRequested else {
            condition.unlock()
            return
        }
        loopClaimed = true
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "chat.storage.pgwriter"
        writerThread = thread
        condition.unlock()
        thread.start()
    }

    /// Enqueues `writes`, in order. False, enqueuing nothing, if the queue cannot take all of them or the writer
    /// is stopping. Never blocks beyond a brief lock.
    public func submit(_ writes: [StorageWrite]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopRequested, queue.count + writes.count <= capacity else { return false }
        guard !writes.isEmpty else { return true }
        let wasEmpty = queue.isEmpty
        queue.append(contentsOf: writes)
        if wasEmpty { condition.broadcast() }
        return true
    }

    /// The last error while commits fail for reasons outside the writes (connection lost), nil when they work.
    public var failure: String? {
        condition.lock()
        defer { condition.unlock() }
        return failingMessage
    }

    /// Writes waiting in the queue (not counting the batch being committed).
    public var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    func setFailing(_ message: String?) {
        condition.lock()
        let changed = (failingMessage == nil) != (message == nil)
        failingMessage = message
        condition.unlock()
        if changed { onStorageState(message) }
    }

    /// A failing batch is given up only when the writer is stopping (after a few more tries).
    func shouldGiveUp() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopRequested { stopRetries += 1 }
        return stopRetries > 3
    }

    /// Refuses new writes, waits until everything submitted is committed or reported failed, ends the thread.
    /// Idempotent; blocking. If `start()` was never called, the queued writes are committed on this thread.
    public func stop() {
        condition.lock()
        stopRequested = true
        condition.broadcast()
        if Thread.current === writerThread {
            condition.unlock()
            return
        }
        let drainHere = !loopClaimed
        loopClaimed = true
        if drainHere {
            condition.unlock()
            runLoop()
            return
        }
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func runLoop() {
        var batch: [StorageWrite] = []
        var lastBatchSize = 0
        while true {
            condition.lock()
            while queue.isEmpty && !stopRequested { condition.wait() }
            if queue.isEmpty {
                finished = true
                condition.broadcast()
                condition.unlock()
                connection = nil
                return
            }
            if lingerMicroseconds > 0, lastBatchSize > 1, queue.count < GroupCommitWriter.lingerTarget, !stopRequested {
                condition.unlock()
                usleep(lingerMicroseconds)
                condition.lock()
            }
            lastBatchSize = queue.count
            swap(&batch, &queue)
            condition.unlock()

            commit(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }
}
