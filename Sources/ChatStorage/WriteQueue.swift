import ChatCore
import Foundation

/// What a writer does with the batches its `WriteQueue` drains: `GroupCommitWriter` on SQLite, `PostgresWriter` on
/// PostgreSQL. Every member is called on the writer thread (or, when the writer never started, on the thread
/// calling `stop()`, which then drains the queue itself), one at a time and outside the queue's lock.
protocol WriteBatchCommitter: AnyObject, Sendable {
    /// Commits one drained batch (or reports its writes failed) before returning.
    func commit(_ batch: [StorageWrite])
    /// When an idle writer must call `idleDeadlinePassed()` even if no write arrives; nil: sleep until one does.
    /// Read under the queue's lock, so it must only read the committer's own writer-thread state.
    var idleDeadline: Date? { get }
    /// The deadline passed and no write arrived meanwhile.
    func idleDeadlinePassed()
    /// The stop was requested and every write is committed or reported: the last work before `stop()` returns.
    func drained()
}

extension WriteBatchCommitter {
    var idleDeadline: Date? { nil }
    func idleDeadlinePassed() {}
}

/// The queue and thread of a single writer: a bounded FIFO of `StorageWrite`s drained by one dedicated thread,
/// the whole queue at a time, into a `WriteBatchCommitter` that commits each drain in one transaction (group
/// commit). Under load, drains grow, so commits per write fall. Also keeps whether commits are failing for
/// reasons outside the writes, and how many tries a failing batch still gets once a stop is requested.
///
/// Threading contract:
/// - `submit(_:)`, `queuedCount` and `failure` never wait for storage; they take a lock for a few instructions.
///   They are the only members the libwebsockets service thread may call.
/// - `start(_:)` and `stop(_:)` are called by whoever owns the server's lifecycle; `stop(_:)` blocks until every
///   submitted write is committed (or reported failed), so it must not run on the service thread. Called on the
///   writer thread (from a commit callback) it only requests the stop: the writer thread cannot wait for itself.
/// - `setFailing(_:)` and `shouldGiveUp()` are for the committer, on the writer thread. `onStorageState` runs
///   there too, outside the lock.
///
/// `@unchecked Sendable` because the mutable state below is guarded by `condition` (an NSLock with its condition
/// variable), which the compiler cannot check; the committer and `onStorageState` are Sendable.
final class WriteQueue: @unchecked Sendable {
    /// Most writes the queue holds; `submit` refuses writes beyond it (backpressure instead of unbounded memory).
    let capacity: Int
    /// Lingering stops being useful once a drain is this large.
    static let lingerTarget = 256
    private let lingerMicroseconds: UInt32
    private let threadName: String
    private let onStorageState: @Sendable (String?) -> Void

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [StorageWrite] = []
    private var loopClaimed = false
    private var stopRequested = false
    private var stopRetries = 0
    private var finished = false
    private var writerThread: Thread?
    /// Set while commits fail for reasons outside the writes (disk full, I/O, connection lost): the last message.
    private var failingMessage: String?

    /// - Parameters:
    ///   - capacity: how many writes may wait; at least 1.
    ///   - lingerSeconds: under load (the previous drain held more than one write), wait this long (at most 0.1 s)
    ///     before draining so that more writes join the transaction: fewer commits and thread wake-ups per write,
    ///     for at most this much added latency. 0 drains at once. An idle writer never lingers.
    ///   - threadName: the writer thread's name.
    ///   - onStorageState: called on the writer thread when commits start failing for reasons outside the writes
    ///     (the error's message) and when they succeed again (nil).
    init(capacity: Int, lingerSeconds: Double, threadName: String,
         onStorageState: @escaping @Sendable (String?) -> Void) {
        self.capacity = max(1, capacity)
        self.lingerMicroseconds = UInt32(max(0, min(lingerSeconds, 0.1)) * 1_000_000)
        self.threadName = threadName
        self.onStorageState = onStorageState
        queue.reserveCapacity(min(self.capacity, 65_536))
    }

    /// Starts the writer thread, draining into `committer`. Calling it again, or after `stop(_:)`, does nothing.
    func start(_ committer: some WriteBatchCommitter) {
        condition.lock()
        guard !loopClaimed, !stopRequested else {
            condition.unlock()
            return
        }
        loopClaimed = true
        let thread = Thread { [self] in self.runLoop(committer) }
        thread.name = threadName
        writerThread = thread
        condition.unlock()
        thread.start()
    }

    /// Enqueues `writes`, in order, to be committed together with whatever else is queued.
    ///
    /// Never blocks beyond a brief lock; safe from any thread, including the lws service thread.
    /// - Returns: false, enqueuing nothing, if the queue cannot take all of `writes` (capacity) or the writer is
    ///   stopping or stopped. True otherwise (an empty array is accepted and does nothing).
    func submit(_ writes: [StorageWrite]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopRequested, queue.count + writes.count <= capacity else { return false }
        guard !writes.isEmpty else { return true }
        let wasEmpty = queue.isEmpty
        queue.append(contentsOf: writes)
        // The writer only sleeps on an empty queue. Broadcast, not signal: `stop(_:)` callers wait on the
        // same condition and must not swallow the writer's wake-up.
        if wasEmpty { condition.broadcast() }
        return true
    }

    /// Writes waiting in the queue (not counting the batch being committed). Safe from any thread.
    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    /// The last storage error while commits are failing for reasons outside the writes, nil when storage works.
    /// Safe from any thread.
    var failure: String? {
        condition.lock()
        defer { condition.unlock() }
        return failingMessage
    }

    /// Records whether commits are failing (the error's message) or work (nil); tells `onStorageState` when
    /// that changes.
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

    /// Refuses new writes, waits until everything already submitted is committed (or reported failed), and ends
    /// the writer thread. Idempotent; blocking. If `start(_:)` was never called, the queued writes are committed
    /// into `committer` on the calling thread.
    func stop(_ committer: some WriteBatchCommitter) {
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
            runLoop(committer)
            return
        }
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Drains the queue into `committer` until `stop(_:)` has been requested and the queue is empty.
    private func runLoop(_ committer: some WriteBatchCommitter) {
        var batch: [StorageWrite] = []
        var lastBatchSize = 0
        while true {
            condition.lock()
            while queue.isEmpty && !stopRequested {
                guard let due = committer.idleDeadline else {
                    condition.wait()
                    continue
                }
                if !condition.wait(until: due) && queue.isEmpty && !stopRequested {
                    condition.unlock()
                    committer.idleDeadlinePassed()
                    condition.lock()
                }
            }
            if queue.isEmpty {
                condition.unlock()
                committer.drained()
                condition.lock()
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

            committer.commit(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }
}
