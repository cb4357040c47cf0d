import ChatCore
import Dispatch
import Foundation

extension PostgresWriter {
    /// Commits one drained batch in one transaction. Writer thread only.
    ///
    /// - A failure outside the writes (connection lost, server restarting) keeps the whole batch and retries it,
    ///   with `GroupCommitWriter`'s backoff, on a new connection, until it commits; `onStorageState` reports it.
    ///   A COMMIT whose answer was lost may have landed: before retrying such a batch the writer looks whether
    ///   its events are stored, and reports it committed if they all are.
    /// - A write's own failure (a constraint, `seq_out_of_order`, text PostgreSQL cannot store) falls back to one
    ///   transaction per write, so one bad write cannot take the others down; a session whose event failed
    ///   commits none of its later writes.
    /// - A failed fence check (`WriteFence`): nothing of the batch commits, every write is reported failed with
    ///   "lease lost", `onLost` is called once, and every later batch fails the same way.
    func commit(_ batch: [StorageWrite]) {
        let start = DispatchTime.now().uptimeNanoseconds
        if leaseLost { return failAll(batch, message: "lease lost") }
        var attempt = 0
        while true {
            if !brokenFrom.isEmpty && batch.contains(where: { heldBack($0, peek: true) != nil }) {
                return commitOneByOne(batch, start: start)
            }
            do {
                let connection = try openConnection()
                if connectionDropped, try Self.alreadyStored(batch, connection) {
                    connectionDropped = false
                    setFailing(nil)
                    return committed(batch, start: start)
                }
                connectionDropped = false
                try connection.transaction { c in
                    try checkFence(c)
                    var writes = try PostgresWrites(c, batch: batch)
                    for write in batch {
                        try injectedFailure?(write)
                        try writes.apply(write)
                    }
                    try writes.finish()
                }
                if attempt > 0 { setFailing(nil) }
                return committed(batch, start: start)
            } catch is LeaseLostError {
                return loseLease(batch)
            } catch where !Self.isWriteSpecific(error) {
                attempt += 1
                noteConnectionTrouble()
                setFailing(String(describing: error))
                if shouldGiveUp() { return failAll(batch, message: String(describing: error)) }
                usleep(GroupCommitWriter.retryDelayMicroseconds(attempt: attempt))
            } catch {
                if attempt > 0 { setFailing(nil) }
                return commitOneByOne(batch, start: start)
            }
        }
    }

    private func committed(_ batch: [StorageWrite], start: UInt64) {
        for write in batch { clearBroken(write) }
        onCommit(CommitReceipt(committedSeqs: GroupCommitWriter.highestSeqs(batch), batchSize: batch.count,
                               duration: GroupCommitWriter.seconds(since: start)))
    }

    /// The slow path after a write's own failure (as `GroupCommitWriter`'s): failures are reported as they happen,
    /// then one receipt covers every write that did commit.
    private func commitOneByOne(_ batch: [StorageWrite], start: UInt64) {
        var done: [StorageWrite] = []
        for (index, write) in batch.enumerated() {
            if let reason = heldBack(write) {
                onFailure(StorageFailure(write: write, message: reason))
                continue
            }
            var attempt = 0
            while true {
                do {
                    try openConnection().transaction { c in
                        try checkFence(c)
                        var writes = try PostgresWrites(c, batch: [write])
                        try injectedFailure?(write)
                        try writes.apply(write)
                        try writes.finish()
                    }
                    if attempt > 0 { setFailing(nil) }
                    done.append(write)
                } catch is LeaseLostError {
                    if !done.isEmpty { committed(done, start: start) }
                    return loseLease(Array(batch[index...]))
                } catch where !Self.isWriteSpecific(error) {
                    attempt += 1
                    noteConnectionTrouble()
                    setFailing(String(describing: error))
                    if shouldGiveUp() {
                        onFailure(StorageFailure(write: write, message: String(describing: error)))
                        break
                    }
                    usleep(GroupCommitWriter.retryDelayMicroseconds(attempt: attempt))
                    continue
                } catch {
                    markBroken(write)
                    onFailure(StorageFailure(write: write, message: String(describing: error)))
                }
                break
            }
        }
        if !done.isEmpty { committed(done, start: start) }
    }

    /// The writer's connection, opened (or reopened) on demand. Throws `PGError` if the server cannot be reached.
    private func openConnection() throws -> PGConnection {
        if let connection, connection.isHealthy { return connection }
        connection = nil
        let fresh = try PGConnection(url: store.url)
        connection = fresh
        return fresh
    }

    /// After a failure outside the writes: a broken connection is dropped (the next attempt opens another) and
    /// remembered, since the batch's COMMIT may have landed before the connection went.
    private func noteConnectionTrouble() {
        if let connection, !connection.isHealthy {
            self.connection = nil
            connectionDropped = true
        } else if connection == nil {
            connectionDropped = true
        }
    }

    /// With a fence set: the lease row must still name this holder and generation. Locks it `FOR SHARE` until the
    /// transaction ends, so a takeover (an UPDATE of the row) waits for this commit, and nothing commits after it.
    private func checkFence(_ connection: PGConnection) throws {
        guard let fence = store.writeFence.current else { return }
        let rows = try connection.execute("""
            SELECT 1 FROM cluster_leases WHERE name = $1 AND holder = $2 AND generation = $3 FOR SHARE
            """, [.text(fence.leaseName), .text(fence.holder), .int(fence.generation)])
        if rows.count == 0 { throw LeaseLostError() }
    }

    private func loseLease(_ writes: [StorageWrite]) {
        let first = !leaseLost
        leaseLost = true
        failAll(writes, message: "lease lost")
        if first { store.writeFence.current?.onLost() }
    }

    private func failAll(_ writes: [StorageWrite], message: String) {
        for write in writes { onFailure(StorageFailure(write: write, message: message)) }
    }

    /// Whether every event of `batch` is already stored (its COMMIT landed though its answer was lost). False for
    /// a batch without events: such a batch is retried (its writes are upserts or fail on their own).
    static func alreadyStored(_ batch: [StorageWrite], _ connection: PGConnection) throws -> Bool {
        var sessions: [Int64?] = []
        var seqs: [Int64?] = []
        for case .appendEvent(let event) in batch {
            sessions.append(event.sessionID)
            seqs.append(event.seq)
        }
        guard !sessions.isEmpty else { return false }
        let rows = try connection.execute("""
            SELECT count(*) FROM events e JOIN unnest($1::bigint[], $2::bigint[]) AS t(session_id, seq)
                ON e.session_id = t.session_id AND e.seq = t.seq
            """, [PGRows.intArray(sessions), PGRows.intArray(seqs)])
        return rows.int(0, 0) == Int64(sessions.count)
    }

    /// Whether an error is caused by the write itself (so other writes may still succeed): storage refusals,
    /// PostgreSQL's integrity (23xxx) and data (22xxx) errors, injected write failures.
    static func isWriteSpecific(_ error: Error) -> Bool {
        if error is StorageError { return true }
        if let injected = error as? InjectedStorageError { return injected.writeSpecific }
        guard let error = error as? PGError else { return false }
        return error.sqlState.hasPrefix("23") || error.sqlState.hasPrefix("22")
    }
}

extension PostgresWriter {
    /// Why a write must not be committed (a write of its session failed before it), or nil. Clears the mark when
    /// the engine numbers the failed seq again (`peek` only looks). Same rules as `GroupCommitWriter`.
    func heldBack(_ write: StorageWrite, peek: Bool = false) -> String? {
        guard let session = write.sessionID, let from = brokenFrom[session] else { return nil }
        if from == 0 { return "session \(session) was never stored" }
        guard case .appendEvent(let event) = write else { return nil }
        if event.seq <= from {
            if !peek { brokenFrom[session] = nil }
            return nil
        }
        return "event \(from) of session \(session) failed before it"
    }

    func markBroken(_ write: StorageWrite) {
        switch write {
        case .appendEvent(let event): brokenFrom[event.sessionID] = min(brokenFrom[event.sessionID] ?? event.seq, event.seq)
        case .createSession(let record): brokenFrom[record.id] = 0
        default: break
        }
    }

    func clearBroken(_ write: StorageWrite) {
        if case .appendEvent(let event) = write, let from = brokenFrom[event.sessionID], event.seq <= from, from > 0 {
            brokenFrom[event.sessionID] = nil
        }
    }
}
