import ChatCore
import Dispatch
import Foundation

/// The single writer of chat traffic: a FIFO of `StorageWrite`s drained by one dedicated thread, one transaction
/// per drain (group commit). Under load, drains grow, so commits (and fsyncs) per write fall. The queue and the
/// thread are a `WriteQueue`; this type commits its batches and, when idle, indexes the event log's tail.
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
/// `@unchecked Sendable` because the members marked "writer thread only" are touched only by the writer thread
/// (or by the thread calling `stop()` when the writer never started, which then drains the queue itself), which
/// the compiler cannot check; the queue guards its own state, and `store` and the callbacks are Sendable.
public final class GroupCommitWriter: @unchecked Sendable {
    let store: ChatStore
    let onCommit: @Sendable (CommitReceipt) -> Void
    let onFailure: @Sendable (StorageFailure) -> Void
    private let queue: WriteQueue

    /// Events committed but not yet indexed (nil until the first commit reads it). Writer thread only.
    var unindexedEvents: Int?
    /// When the unindexed events must be indexed even if no more arrive (nil: none waiting). Writer thread only.
    var indexDue: Date?

    /// The last committed seq of sessions written since start (bounded). Writer thread only.
    var committedSeqs: [SessionID: Seq] = [:]
    /// The id the next appended event gets, known after the first commit that appended (nil: read it from the
    /// database; reset after a failed transaction, so a writer never trusts a guess).
    var nextEventID: Int64?
    /// The flush of the event log's tail in progress, written one piece per commit (nil: none).
    var tailFlush: TailFlush?
    /// The events committed since the last flush started, for the next flush (nil: not known; the next flush
    /// reads `events` and starts it). Writer thread only.
    var tailMemory: TailMemory?
    /// When the last piece of a flush was written (`DispatchTime` nanoseconds). Writer thread only.
    var lastFlushPieceAt: UInt64 = 0
    /// Flushes of the tail completed in pieces, and whole-tail indexings in one transaction (only a clean stop
    /// does one). Writer thread only; tests read them after `stop()`.
    var completedFlushes = 0
    var wholeTailIndexings = 0
    /// Flushes started from the writer's memory of the tail, and from reads of `events`. Writer thread only.
    var flushesFromMemory = 0
    var flushesReadingEvents = 0
    /// When the last batch committed (`DispatchTime` nanoseconds). Writer thread only.
    var lastCommitAt: UInt64 = 0
    /// (agent, session) pairs this writer stored in `session_agents`: not inserted again.
    var storedAgents: Set<PreparedWrites.SessionAgent> = []

    /// Sessions whose event (or row) failed on its own, with the failed seq (0: the row itself). Writer thread only.
    var brokenFrom: [SessionID: Seq] = [:]

    /// Tests only: called before each write is applied inside the transaction; throwing fails it.
    /// Set before `start()`; read on the writer thread.
    public nonisolated(unsafe) var injectedFailure: (@Sendable (StorageWrite) throws -> Void)?

    /// - Parameters:
    ///   - store: the database the writes go to.
    ///   - capacity: how many writes may wait in the queue; at least 1.
    ///   - lingerSeconds: under load (the previous drain held more than one write), wait this long before
    ///     draining so that more writes join the transaction: fewer commits, fsyncs and thread wake-ups per write,
    ///     for at most this much added latency. 0 drains at once. An idle writer never lingers.
    ///   - onCommit: called on the writer thread after each committed transaction.
    ///   - onFailure: called on the writer thread for each write that could not be committed.
    ///   - onStorageState: called on the writer thread when commits start failing for reasons outside the writes
    ///     (the error's message) and when they succeed again (nil).
    public init(store: ChatStore, capacity: Int, lingerSeconds: Double = 0,
                onCommit: @escaping @Sendable (CommitReceipt) -> Void,
                onFailure: @escaping @Sendable (StorageFailure) -> Void,
                onStorageState: @escaping @Sendable (String?) -> Void = { _ in }) {
        self.store = store
        self.onCommit = onCommit
        self.onFailure = onFailure
        self.queue = WriteQueue(capacity: capacity, lingerSeconds: lingerSeconds,
                                threadName: "chat.storage.writer", onStorageState: onStorageState)
    }

    /// Most writes the queue holds; `submit` refuses writes beyond it (backpressure instead of unbounded memory).
    public var capacity: Int { queue.capacity }

    /// Starts the writer thread. Calling it again, or after `stop()`, does nothing.
    public func start() { queue.start(self) }

    /// Enqueues `writes`, in order, to be committed together with whatever else is queued.
    ///
    /// Never blocks beyond a brief lock; safe from any thread, including the lws service thread.
    /// - Returns: false, enqueuing nothing, if the queue cannot take all of `writes` (capacity) or the writer is
    ///   stopping or stopped. True otherwise (an empty array is accepted and does nothing).
    public func submit(_ writes: [StorageWrite]) -> Bool { queue.submit(writes) }

    /// The last storage error while commits are failing for reasons outside the writes (disk full, I/O), nil
    /// when storage works. Safe from any thread.
    public var failure: String? { queue.failure }

    /// Writes waiting in the queue (not counting the batch being committed). Safe from any thread.
    public var queuedCount: Int { queue.queuedCount }

    /// Refuses new writes, waits until everything already submitted is committed (or reported through
    /// `onFailure`), indexes the event log's tail, and ends the writer thread. Idempotent; blocking. If `start()`
    /// was never called, the queued writes are committed on the calling thread.
    public func stop() { queue.stop(self) }

    func setFailing(_ message: String?) { queue.setFailing(message) }

    func shouldGiveUp() -> Bool { queue.shouldGiveUp() }
}

extension GroupCommitWriter: WriteBatchCommitter {
    /// Unindexed events wait at most `eventIndexDelaySeconds` for more to join them; a flush under way goes on one
    /// piece at a time, `flushPieceSpacingNanos` apart. Either waits until the writer has been idle for
    /// `idleIndexGraceNanos`: while commits keep coming they carry the pieces (no transaction or fsync of its own).
    var idleDeadline: Date? {
        let now = DispatchTime.now().uptimeNanoseconds
        let idleEnough = lastCommitAt &+ Self.idleIndexGraceNanos
        var due: UInt64
        if tailFlush != nil {
            due = max(lastFlushPieceAt &+ Self.flushPieceSpacingNanos, idleEnough)
        } else if let indexDue {
            let wait = indexDue.timeIntervalSinceNow
            due = max(wait > 0 ? now &+ UInt64(wait * 1_000_000_000) : now, idleEnough)
        } else {
            return nil
        }
        return Date(timeIntervalSinceNow: due > now ? Double(due - now) / 1_000_000_000 : 0)
    }

    func idleDeadlinePassed() { indexPieceWhileIdle() }

    /// A clean stop leaves every event indexed.
    func drained() {
        if indexDue != nil { indexTailNow() }
    }
}

/// A flush of the event log's tail in progress: the events with ids in `(from, through]`, indexed in `pieceCount`
/// pieces (`ChatStore.flushPieces(forBatch:)`), each from `remembered` when the writer's memory held them all,
/// else read from `events`; `nextPiece` is the next to write. Writer thread only.
struct TailFlush: Equatable {
    var from: Int64
    var through: Int64
    var pieceCount: Int
    var remembered: [[TailEntry]]?
    var nextPiece: Int
    /// When its first piece was written: every event after `through` was committed later.
    var startedAt: Date
}

/// What a commit (or an idle piece) left of the tail: its length after the transaction, the flush still under way,
/// and the flush it completed, if any. Writer thread only.
struct TailIndexState {
    var unindexed: Int
    var flush: TailFlush?
    var completed: TailFlush? = nil
    /// Whether `flush` (or `completed`) started in this transaction.
    var started = false
}
