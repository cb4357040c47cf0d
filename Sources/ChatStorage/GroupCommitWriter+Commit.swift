import ChatCore
import Dispatch
import GRDB

extension GroupCommitWriter {
    /// Commits one drained batch in one transaction. If that fails, falls back to one transaction per write so
    /// that one bad write cannot take the others down. Runs on the writer thread only.
    func commit(_ batch: [StorageWrite]) {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            try store.dbPool.write { db in
                var prepared = PreparedWrites(db)
                for write in batch {
                    try prepared.apply(write)
                }
            }
            onCommit(CommitReceipt(committedSeqs: Self.highestSeqs(batch), batchSize: batch.count,
                                   duration: Self.seconds(since: start)))
        } catch {
            commitOneByOne(batch, start: start)
        }
    }

    /// The slow path after a failed batch: failures are reported as they happen, then one receipt covers every
    /// write that did commit. A failure that is not the write's own fault (disk full, I/O error, lock held past
    /// the busy timeout) fails the rest of the batch with the same message rather than retrying each write.
    private func commitOneByOne(_ batch: [StorageWrite], start: UInt64) {
        var committed: [StorageWrite] = []
        var index = batch.startIndex
        while index < batch.endIndex {
            let write = batch[index]
            do {
                try store.dbPool.write { db in
                    var prepared = PreparedWrites(db)
                    try prepared.apply(write)
                }
                committed.append(write)
            } catch {
                onFailure(StorageFailure(write: write, message: String(describing: error)))
                if !Self.isWriteSpecific(error) {
                    for remaining in batch[(index + 1)...] {
                        onFailure(StorageFailure(write: remaining, message: String(describing: error)))
                    }
                    break
                }
            }
            index += 1
        }
        if !committed.isEmpty {
            onCommit(CommitReceipt(committedSeqs: Self.highestSeqs(committed), batchSize: committed.count,
                                   duration: Self.seconds(since: start)))
        }
    }

    /// Whether an error is caused by the write itself (so other writes may still succeed).
    static func isWriteSpecific(_ error: Error) -> Bool {
        if error is StorageError { return true }
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
