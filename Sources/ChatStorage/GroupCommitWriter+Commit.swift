import ChatCore
import Dispatch
import Foundation
import GRDB

extension GroupCommitWriter {
    /// Commits one drained batch in one transaction. Runs on the writer thread only.
    ///
    /// - A failure that is not the writes' own fault (disk full, I/O error, a lock held past the busy timeout)
    ///   keeps the whole batch and retries it, with backoff, until it commits: nothing of it is acknowledged
    ///   meanwhile, seqs stay gapless, and `isFailing` tells the service to refuse new writes. When space or the
    ///   device comes back the writer recovers by itself. Only a stop gives up (the batch is then reported failed:
    ///   never acknowledged, so clients resend).
    /// - A write's own failure (a constraint) falls back to one transaction per write, so one bad write cannot
    ///   take the others down; a session whose event failed commits none of its later writes of the batch.
    func commit(_ batch: [StorageWrite]) {
        let start = DispatchTime.now().uptimeNanoseconds
        var attempt = 0
        while true {
            if !brokenFrom.isEmpty && batch.contains(where: { heldBack($0, peek: true) != nil }) {
                return commitOneByOne(batch, start: start)
            }
            do {
                let (index, prepared) = try store.dbPool.write { db in
                    var prepared = preparedWrites(db)
                    for write in batch {
                        try injectedFailure?(write)
                        try prepared.apply(write)
                    }
                    try prepared.flushAgents()
                    return (try indexTailIfDue(db, appended: prepared.appendedTail), prepared)
                }
                noteCommitted(index, prepared)
                lastCommitAt = DispatchTime.now().uptimeNanoseconds
                for write in batch { clearBroken(write) }
                if attempt > 0 { setFailing(nil) }
                onCommit(CommitReceipt(committedSeqs: Self.highestSeqs(batch), batchSize: batch.count,
                                       duration: Self.seconds(since: start)))
                return
            } catch where !Self.isWriteSpecific(error) {
                nextEventID = nil
                attempt += 1
                setFailing(String(describing: error))
                if shouldGiveUp() {
                    for write in batch { onFailure(StorageFailure(write: write, message: String(describing: error))) }
                    return
                }
                usleep(Self.retryDelayMicroseconds(attempt: attempt))
            } catch {
                nextEventID = nil
                if attempt > 0 { setFailing(nil) }
                return commitOneByOne(batch, start: start)
            }
        }
    }

    /// 50 ms doubling to 2 s: quick recovery from a brief hiccup, little load while a disk stays full.
    static func retryDelayMicroseconds(attempt: Int) -> UInt32 {
        UInt32(min(2_000_000, 50_000 << min(attempt - 1, 6)))
    }

    /// The slow path after a write's own failure: failures are reported as they happen, then one receipt covers
    /// every write that did commit. Once an event of a session fails, the session is marked broken from that seq
    /// (`brokenFrom`): its later events are failed too, in this batch and in batches already queued, until the
    /// engine, told of the failure, numbers an event with the failed seq again. So no event is ever committed
    /// after a hole, and no receipt claims a seq beyond one.
    private func commitOneByOne(_ batch: [StorageWrite], start: UInt64) {
        var committed: [StorageWrite] = []
        for write in batch {
            if let reason = heldBack(write) {
                onFailure(StorageFailure(write: write, message: reason))
                continue
            }
            do {
                let (index, prepared) = try store.dbPool.write { db in
                    var prepared = preparedWrites(db)
                    try injectedFailure?(write)
                    try prepared.apply(write)
                    try prepared.flushAgents()
                    return (try indexTailIfDue(db, appended: prepared.appendedTail), prepared)
                }
                noteCommitted(index, prepared)
                committed.append(write)
            } catch {
                nextEventID = nil
                markBroken(write)
                onFailure(StorageFailure(write: write, message: String(describing: error)))
            }
        }
        if !committed.isEmpty {
            lastCommitAt = DispatchTime.now().uptimeNanoseconds
            onCommit(CommitReceipt(committedSeqs: Self.highestSeqs(committed), batchSize: committed.count,
                                   duration: Self.seconds(since: start)))
        }
    }

    /// Inside a batch's transaction, after its writes: once the tail holds `eventIndexBatch` events or more, or its
    /// oldest event has waited `eventIndexDelaySeconds` (`indexDue`), a flush of it starts (the tail up to the
    /// newest event now), and this and the next commits each write one of its pieces (`ChatStore.flushPieces(forBatch:)`)
    /// (`ChatStore.indexRange`); the last one moves `indexed_through`. So the index and the session aggregates
    /// commit with the batches, the tail that readers scan stays short, and no commit holds a whole flush. Returns
    /// what to remember once this commits: the events after `indexed_through`, and the flush still in progress
    /// (nil when none).
    private func indexTailIfDue(_ db: Database, appended: [TailEntry]) throws -> TailIndexState {
        // The first commit counts what the database holds, this transaction's events included.
        let unindexed = try unindexedEvents.map { $0 + appended.count } ?? Self.countUnindexed(db)
        let due = unindexed >= store.eventIndexBatch || (unindexed > 0 && indexDue.map { Date() >= $0 } == true)
        return try writeFlushPiece(db, unindexed: unindexed, startIfNone: due, pending: appended)
    }

    /// The next piece of the tail flush in progress, or of a new one when there is none and `startIfNone`, unless
    /// the last piece was written less than `flushPieceSpacingNanos` ago. In the caller's transaction, whose own
    /// appended events are `pending`.
    ///
    /// A new flush takes its pieces from the writer's memory of the tail (`TailMemory`) when that holds every event
    /// of it; otherwise each piece reads them from `events` (`ChatStore.indexRange`), and the memory starts again
    /// after this flush's range, so the next flush can use it.
    private func writeFlushPiece(_ db: Database, unindexed: Int, startIfNone: Bool,
                                 pending: [TailEntry] = []) throws -> TailIndexState {
        var flush = tailFlush
        var started = false
        if flush == nil {
            guard startIfNone else { return TailIndexState(unindexed: unindexed, flush: nil) }
            let from = try EventReads.indexedThrough(db)
            guard let through = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events"), through > from else {
                return TailIndexState(unindexed: 0, flush: nil)   // another connection indexed it all
            }
            let count = ChatStore.flushPieces(forBatch: store.eventIndexBatch)
            let remembered = tailMemory?.pieces(from: from, through: through, pending: pending, count: count)
            started = true
            flush = TailFlush(from: from, through: through, pieceCount: count, remembered: remembered,
                              nextPiece: 0, startedAt: Date())
        }
        guard var flush else { return TailIndexState(unindexed: unindexed, flush: nil) }
        // Pieces are spaced out: eight in a row would hold the writer almost as long as the whole flush did.
        let now = DispatchTime.now().uptimeNanoseconds
        if flush.nextPiece > 0 && now &- lastFlushPieceAt < Self.flushPieceSpacingNanos {
            return TailIndexState(unindexed: unindexed, flush: flush)
        }
        lastFlushPieceAt = now
        if let remembered = flush.remembered {
            try ChatStore.indexEntries(db, remembered[flush.nextPiece])
        } else {
            try ChatStore.indexRange(db, from: flush.from, through: flush.through, piece: (flush.nextPiece, flush.pieceCount))
        }
        flush.nextPiece += 1
        guard flush.nextPiece == flush.pieceCount else {
            return TailIndexState(unindexed: unindexed, flush: flush, started: started)
        }
        try ChatStore.setIndexedThrough(db, flush.through)
        return TailIndexState(unindexed: try Self.countUnindexed(db), flush: nil, completed: flush, started: started)
    }

    /// A transaction's writes, seeded with what the writer remembers of earlier commits.
    private func preparedWrites(_ db: Database) -> PreparedWrites {
        PreparedWrites(db, committedSeqs: committedSeqs, nextEventID: nextEventID, storedAgents: storedAgents)
    }

    /// After a commit: the tail's new length, the next event id, the stored (agent, session) pairs and the
    /// committed last seqs (the pairs and seqs forgotten all at once past `committedSeqsLimit`; a session seen
    /// again is then read back once, a pair written again with INSERT OR IGNORE).
    private func noteCommitted(_ index: TailIndexState, _ prepared: PreparedWrites) {
        noteIndexed(index, appended: prepared.appendedTail)
        nextEventID = prepared.nextEventID
        if storedAgents.count + prepared.writtenAgents.count > Self.committedSeqsLimit { storedAgents.removeAll(keepingCapacity: true) }
        storedAgents.formUnion(prepared.writtenAgents)
        let seqs = prepared.appendedSeqs
        if committedSeqs.count + seqs.count > Self.committedSeqsLimit { committedSeqs.removeAll(keepingCapacity: true) }
        committedSeqs.merge(seqs) { _, new in new }
    }

    static let committedSeqsLimit = 65_536
    /// At least this long between two pieces of a flush (10 ms: a flush of 8 pieces then spans 70 ms or more,
    /// while at 8,000 msgs/s the next one is due half a second later).
    static let flushPieceSpacingNanos: UInt64 = 10_000_000
    /// An idle writer indexes on its own only after this long without a commit (50 ms).
    static let idleIndexGraceNanos: UInt64 = 50_000_000

    /// After a commit that indexed (or did not): the tail's length, the flush in progress, and when the tail is
    /// due. `indexDue` follows the oldest unindexed event: set when the tail stops being empty, and after a flush to
    /// the time its first piece started plus the delay (what is left was committed since). Before, it stayed at
    /// its first value under steady load, so every `eventIndexDelaySeconds` the idle writer indexed the whole tail
    /// in one transaction: a 10-20 ms stall every 2.02 s (bench --trace at 12,000 msgs/s).
    private func noteIndexed(_ index: TailIndexState, appended: [TailEntry] = []) {
        tailFlush = index.flush
        noteTail(index, appended: appended)
        unindexedEvents = index.unindexed
        if index.completed != nil { completedFlushes += 1 }
        if index.unindexed == 0 {
            indexDue = nil
        } else if let completed = index.completed {
            indexDue = completed.startedAt.addingTimeInterval(store.eventIndexDelaySeconds)
        } else if indexDue == nil {
            indexDue = Date(timeIntervalSinceNow: store.eventIndexDelaySeconds)
        }
    }

    /// The writer's memory of the tail after a commit: started again after a flush that read `events`, else given
    /// the transaction's events (dropped when they do not continue it); a flush that started takes its events.
    private func noteTail(_ index: TailIndexState, appended: [TailEntry]) {
        let flush = index.flush ?? index.completed
        if let flush, index.started, flush.remembered == nil {
            tailMemory = TailMemory(after: flush.through, limit: 2 * store.eventIndexBatch + Self.committedSeqsLimit)
        } else if tailMemory?.append(appended) == false {
            tailMemory = nil
        }
        if let flush {
            tailMemory?.forget(through: flush.through)
            if index.started {
                if flush.remembered == nil { flushesReadingEvents += 1 } else { flushesFromMemory += 1 }
            }
        }
    }

    /// The writer is idle and the tail is due (or a flush is under way): the next piece, in a transaction of its
    /// own, so a write arriving meanwhile waits for one piece at most. A failure drops the flush (its range is
    /// written again whole later: pieces are idempotent) and tries again `eventIndexDelaySeconds` later.
    func indexPieceWhileIdle() {
        do {
            let index = try store.dbPool.write { db in
                try writeFlushPiece(db, unindexed: try unindexedEvents ?? Self.countUnindexed(db), startIfNone: true)
            }
            noteIndexed(index)
        } catch {
            tailFlush = nil
            indexDue = Date(timeIntervalSinceNow: store.eventIndexDelaySeconds)
        }
    }

    /// Indexes the whole tail in a transaction of its own (a clean stop). A failure leaves it for the next start.
    func indexTailNow() {
        do {
            try store.dbPool.write { db in _ = try ChatStore.indexTail(db) }
            wholeTailIndexings += 1
            unindexedEvents = 0
            tailFlush = nil
            tailMemory = nil
            indexDue = nil
        } catch {
            indexDue = Date(timeIntervalSinceNow: store.eventIndexDelaySeconds)
        }
    }

    private static func countUnindexed(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE id > ?",
                         arguments: [try EventReads.indexedThrough(db)]) ?? 0
    }

    /// Whether an error is caused by the write itself (so other writes may still succeed).
    static func isWriteSpecific(_ error: Error) -> Bool {
        if error is StorageError { return true }
        if let injected = error as? InjectedStorageError { return injected.writeSpecific }
        guard let error = error as? DatabaseError else { return false }
        switch error.resultCode {
        case .SQLITE_CONSTRAINT, .SQLITE_MISMATCH, .SQLITE_TOOBIG, .SQLITE_RANGE: return true
        default: return false
        }
    }

    /// The highest appended seq per session among `writes`.
    static func highestSeqs(_ writes: [StorageWrite]) -> [SessionID: Seq] {
        var seqs: [SessionID: Seq] = [:]
        for case .appendEvent(let event) in writes {
            if let seq = seqs[event.sessionID], seq >= event.seq { continue }
            seqs[event.sessionID] = event.seq
        }
        return seqs
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds &- start) / 1_000_000_000
    }
}

/// A failure injected by tests (`GroupCommitWriter.injectedFailure`): transient unless `writeSpecific`.
public struct InjectedStorageError: Error, CustomStringConvertible {
    public var writeSpecific: Bool
    public var description: String
    public init(writeSpecific: Bool = false, description: String = "injected storage failure") {
        self.writeSpecific = writeSpecific
        self.description = description
    }
}

extension GroupCommitWriter {
    /// Why a write must not be committed (a write of its session failed before it), or nil. Clears the mark when
    /// the engine numbers the failed seq again (`peek` only looks).
    func heldBack(_ write: StorageWrite, peek: Bool = false) -> String? {
        guard let session = write.sessionID, let from = brokenFrom[session] else { return nil }
        if from == 0 { return "session \(session) was never stored" }
        guard case .appendEvent(let event) = write else { return nil }
        if event.seq <= from {
            if !peek { brokenFrom[session] = nil }   // the engine withdrew the failed events and reuses the seq
            return nil
        }
        return "event \(from) of session \(session) failed before it"
    }

    func markBroken(_ write: StorageWrite) {
        switch write {
        case .appendEvent(let event): brokenFrom[event.sessionID] = min(brokenFrom[event.sessionID] ?? event.seq, event.seq)
        case .createSession(let record): brokenFrom[record.id] = 0   // never stored: nothing of it may follow
        default: break
        }
    }

    func clearBroken(_ write: StorageWrite) {
        if case .appendEvent(let event) = write, let from = brokenFrom[event.sessionID], event.seq <= from, from > 0 {
            brokenFrom[event.sessionID] = nil
        }
    }
}

extension StorageWrite {
    /// The session a write belongs to (nil for writes about organizations or staff).
    var sessionID: SessionID? {
        switch self {
        case .createSession(let record), .updateSession(let record): return record.id
        case .appendEvent(let event): return event.sessionID
        case .readMarker(let id, _, _): return id
        case .recordServiceOrder(let order): return order.sessionID
        case .registerContact, .staffStatus, .abandonSession: return nil
        }
    }
}
