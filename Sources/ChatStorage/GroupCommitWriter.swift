import ChatCore
import Foundation

/// The single writer of chat traffic: a FIFO of `StorageWrite`s drained by one dedicated thread, one transaction
/// per drain (group commit). Under load, drains grow, so commits (and fsyncs) per write fall.
///
/// Threading contract:
/// - `submit(_:)` and `queuedCount` never wait for the disk; they take a lock for a few instructions. They are
///   the only members the libwebsockets service thread may call.
/// - `start()` and `stop()` are called by whoever owns the server's lifecycle; `stop()` blocks until every
///   submitted write is committed (or reported failed), so it must not run on the service thread. Called from
///   `onCommit`/`onFailure` it only requests the stop (the writer thread cannot wait for itself).
/// - `onCommit` and `onFailure` run on the writer thread, outside the queue lock, in commit order. Keep them
///   short (post to the service thread's mailbox and return): the next batch waits for them.
///
/// `@unchecked Sendable` because the mutable state below is guarded by `condition` (an NSLock with its
/// condition variable), which the compiler cannot check; `store` and the callbacks are Sendable.
public final class GroupCommitWriter: @unchecked Sendable {
    let store: ChatStore
    /// Most writes the queue holds; `submit` refuses writes beyond it (backpressure instead of unbounded memory).
    public let capacity: Int
    let onCommit: @Sendable (CommitReceipt) -> Void
    let onFailure: @Sendable (StorageFailure) -> Void

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [StorageWrite] = []
    private var loopClaimed = false
    private var stopRequested = false
    private var stopRetries = 0
    private var finished = false
    private var writerThread: Thread?
    /// Set while commits fail for reasons outside the writes (disk full, I/O): the message of the last error.
    private var failingMessage: String?
    private let onStorageState: @Sendable (String?) -> Void

    /// Events committed but not yet indexed (nil until the first commit reads it). Writer thread only.
    var unindexedEvents: Int?
    /// When the unindexed events must be indexed even if no more arrive (nil: none waiting). Writer thread only.
    var indexDue: Date?

    /// The last committed seq of sessions written since start (bounded). Writer thread only.
    var committedSeqs: [SessionID: Seq] = [:]

    /// Sessions whose event (or row) failed on its own, with the failed seq (0: the row itself). Writer thread only.
    var brokenFrom: [SessionID: Seq] = [:]

    /// Tests only: called before each write is applied inside the transaction; throwing fails it.
    /// Set before `start()`; read on the writer thread.
    public nonisolated(unsafe) var injectedFailure: (@Sendable (StorageWrite) throws -> Void)?

    /// - Parameters:
    ///   - store: the database the writes go to.
    ///   - capacity: how many writes may wait in the queue; at least 1.
    ///   - onCommit: called on the writer thread after each committed transaction.
    ///   - onFailure: called on the writer thread for each write that could not be committed.
    /// - Parameter lingerSeconds: under load (the previous drain held more than one write), wait this long before
    ///   draining so that more writes join the transaction: fewer commits, fsyncs and thread wake-ups per write,
    ///   for at most this much added latency. 0 drains at once. An idle writer never lingers.
    /// Lingering stops being useful once a drain is this large.
    static let lingerTarget = 256
    private let lingerMicroseconds: UInt32

    /// - Parameter onStorageState: called on the writer thread when commits start failing for reasons outside
    ///   the writes (the error's message) and when they succeed again (nil).
    public init(store: ChatStore, capacity: Int, lingerSeconds: Double = 0,
                onCommit: @escaping @Sendable (CommitReceipt) -> Void,
                onFailure: @escaping @Sendable (StorageFailure) -> Void,
                onStorageState: @escaping @Sendable (String?) -> Void = { _ in }) {
        self.onStorageState = onStorageState
        self.lingerMicroseconds = UInt32(max(0, min(lingerSeconds, 0.1)) * 1_000_000)
        self.store = store
        self.capacity = max(1, capacity)
        self.onCommit = onCommit
        self.onFailure = onFailure
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
        thread.name = "chat.storage.writer"
        writerThread = thread
        condition.unlock()
        thread.start()
    }

    /// Enqueues `writes`, in order, to be committed together with whatever else is queued.
    ///
    /// Never blocks beyond a brief lock; safe from any thread, including the lws service thread.
    /// - Returns: false, enqueuing nothing, if the queue cannot take all of `writes` (capacity) or the writer is
    ///   stopping or stopped. True otherwise (an empty array is accepted and does nothing).
    public func submit(_ writes: [StorageWrite]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopRequested, queue.count + writes.count <= capacity else { return false }
        guard !writes.isEmpty else { return true }
        let wasEmpty = queue.isEmpty
        queue.append(contentsOf: writes)
        // The writer only sleeps on an empty queue. Broadcast, not signal: `stop()` callers wait on the
        // same condition and must not swallow the writer's wake-up.
        if wasEmpty { condition.broadcast() }
        return true
    }

    /// The last storage error while commits are failing for reasons outside the writes (disk full, I/O), nil
    /// when storage works. Safe from any thread.
    public var failure: String? {
        condition.lock()
        defer { condition.unlock() }
        return failingMessage
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

    /// Writes waiting in the queue (not counting the batch being committed). Safe from any thread.
    public var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    /// Refuses new writes, waits until everything already submitted is committed (or reported through
    /// `onFailure`), and ends the writer thread. Idempotent; blocking. If `start()` was never called, the queued
    /// writes are committed on the calling thread.
    public func stop() {
        condition.lock()
        stopRequested = true
        condition.broadcast()
        if Thread.current === writerThread {
            // Called from a callback: the loop ends after this batch once the queue is empty; cannot wait on itself.
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

    /// Drains the queue until `stop()` has been requested and the queue is empty.
    private func runLoop() {
        var batch: [StorageWrite] = []
        var lastBatchSize = 0
        while true {
            condition.lock()
            while queue.isEmpty && !stopRequested {
                // Unindexed events wait at most `eventIndexDelaySeconds` for more to join them.
                guard let due = indexDue else {
                    condition.wait()
                    continue
                }
                if !condition.wait(until: due) && queue.isEmpty && !stopRequested {
                    condition.unlock()
                    indexTailNow()
                    condition.lock()
                }
            }
            if queue.isEmpty {
                if indexDue != nil {   // a clean stop leaves every event indexed
                    condition.unlock()
                    indexTailNow()
                    condition.lock()
                }
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            if lingerMicroseconds > 0, lastBatchSize > 1, queue.count < Self.lingerTarget, !stopRequested {
                // Submitters do not wake the writer while the queue is non-empty, so this costs no extra switches.
                condition.unlock()
                usleep(lingerMicroseconds)
                condition.lock()
            }
            lastBatchSize = queue.count
            // Swap buffers so that both keep their capacity from one drain to the next.
            swap(&batch, &queue)
            condition.unlock()

            commit(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }
}
