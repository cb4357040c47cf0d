import Foundation
import GRDB
import GRDBSQLite

/// Checkpoints the chat database's WAL on a thread of its own, so that no commit waits for one.
///
/// SQLite's automatic checkpoint runs inside the COMMIT that crosses `wal_autocheckpoint` pages: that commit (and
/// every acknowledgement queued behind it) waited while the WAL's pages were copied into the database file and the
/// file was fsynced, 100-200 ms at 20,000 pages under load; at 20,000-24,000 msgs/s it was the p99 (Scripts/bench:
/// 24,000 msgs/s failed at p99 133 ms with it, passed at 37 ms without). Here:
///
/// 1. A WAL hook on the writer connection (installed by `install(on:)`) sees the WAL's size after every commit and
///    wakes this thread once it holds `thresholdPages` pages.
/// 2. The thread copies the WAL into the database file with a PASSIVE checkpoint on a connection of its own, while
///    the writer keeps committing (WAL mode allows both at once). This is the long part.
/// 3. It then runs a second PASSIVE checkpoint on the writer connection, between two of the writer's transactions
///    (GRDB serializes it with them): it copies only what was committed during step 2 (a few milliseconds; step 2
///    copies again, up to `maxCopyPasses` times, while more than `finishFramesAtMost` frames were left), so the
///    WAL is entirely in the database file and the next transaction starts the WAL file over from its beginning
///    (and `journal_size_limit` cuts it back). Without this step a writer that never pauses would never let the
///    WAL restart, and the file would grow.
///
/// Readers holding an old snapshot only hold back how far a checkpoint copies, as with SQLite's own checkpoint.
///
/// Threading: `install(on:)` on the pool's writer connection; the hook runs on whichever thread commits; the
/// checkpoint thread starts at the first wake-up and ends with `stop()` (which waits for a running checkpoint).
final class WALCheckpointer: @unchecked Sendable {
    private let path: String
    private let thresholdPages: Int32
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var requested = false
    private var running = false
    private var stopping = false
    private var threadStarted = false
    /// The pool whose writer connection finishes each checkpoint; set by `install(on:)`.
    private weak var pool: DatabasePool?
    /// Checkpoints that ran to the end of the WAL (steps 2 and 3); for tests and diagnostics. Guarded by `condition`.
    private var completedCheckpoints = 0
    /// After a checkpoint that a reader held back, the next one waits this long (no loop on every commit).
    static let retryDelaySeconds = 0.5

    init(path: String, thresholdPages: Int) {
        self.path = path
        self.thresholdPages = Int32(clamping: max(1, thresholdPages))
    }

    /// Turns SQLite's automatic checkpoint off on `pool`'s writer connection and installs the WAL hook in its place.
    /// Blocking; once, right after the pool opened.
    func install(on pool: DatabasePool) {
        self.pool = pool
        pool.writeWithoutTransaction { db in
            // The hook context is retained for the life of the process: the connection may outlive this object's
            // other owners, and a hook must never see a freed context (one small object per opened store).
            let context = Unmanaged.passRetained(self).toOpaque()
            sqlite3_wal_hook(db.sqliteConnection, { context, _, _, pages in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().walGrew(to: pages)
                return SQLITE_OK
            }, context)
        }
    }

    /// Called by SQLite after each commit on the writer connection (on that thread): wakes the checkpoint thread
    /// when the WAL is long enough. Never blocks beyond a brief lock.
    private func walGrew(to pages: Int32) {
        guard pages >= thresholdPages else { return }
        condition.withLock {
            guard !stopping, !requested, !running else { return }
            requested = true
            if !threadStarted {
                threadStarted = true
                let thread = Thread { [self] in run() }
                thread.name = "chat.storage.checkpoint"
                thread.start()
            }
            condition.broadcast()
        }
    }

    /// Ends the checkpoint thread, waiting for a checkpoint in progress. Idempotent.
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while running { condition.wait() }
        }
    }

    private func run() {
        var connection: OpaquePointer?
        defer { if connection != nil { sqlite3_close_v2(connection) } }
        while true {
            let go = condition.withLock { () -> Bool in
                while !requested && !stopping { condition.wait() }
                guard !stopping else { return false }
                requested = false
                running = true
                return true
            }
            guard go else { return }
            if connection == nil {
                // Until a connection has read the file it does not know the database is in WAL mode (a checkpoint
                // would report -1 frames and copy nothing): read the schema once.
                if sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE, nil) != SQLITE_OK
                    || sqlite3_exec(connection, "SELECT count(*) FROM sqlite_master", nil, nil, nil) != SQLITE_OK {
                    sqlite3_close_v2(connection)
                    connection = nil
                }
            }
            if let connection {
                // Again while the writer committed much during the copy, so the step on the writer connection
                // (which holds up commits) copies little.
                for _ in 0..<Self.maxCopyPasses {
                    guard let (logFrames, copiedFrames) = Self.passiveCheckpointFrames(connection),
                          logFrames - copiedFrames > Self.finishFramesAtMost else { break }
                }
            }
            let finished = finishOnWriterConnection()
            condition.withLock {
                running = false
                if finished { completedCheckpoints += 1 }
                condition.broadcast()
                if !finished {
                    let until = Date(timeIntervalSinceNow: Self.retryDelaySeconds)
                    while !stopping && Date() < until { _ = condition.wait(until: until) }
                }
            }
        }
    }

    /// Step 3: the few frames committed during the long copy, between two writer transactions.
    private func finishOnWriterConnection() -> Bool {
        guard let pool else { return false }
        return pool.writeWithoutTransaction { db in Self.passiveCheckpoint(db.sqliteConnection) }
    }

    /// Copy passes on the checkpoint's own connection before the finishing step, at most.
    static let maxCopyPasses = 4
    /// The finishing step waits until at most this many frames are left to copy (or the passes ran out).
    static let finishFramesAtMost: Int32 = 256

    /// A PASSIVE checkpoint; true when it copied the whole WAL (no reader held part of it back).
    private static func passiveCheckpoint(_ connection: OpaquePointer?) -> Bool {
        guard let (logFrames, copiedFrames) = passiveCheckpointFrames(connection) else { return false }
        return copiedFrames == logFrames
    }

    /// A PASSIVE checkpoint: the frames in the WAL and those copied into the database file; nil on an error.
    private static func passiveCheckpointFrames(_ connection: OpaquePointer?) -> (Int32, Int32)? {
        var logFrames: Int32 = 0
        var copiedFrames: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames)
        return code == SQLITE_OK ? (logFrames, copiedFrames) : nil
    }

    /// Checkpoints that ran to the end of the WAL so far. Safe from any thread.
    var completed: Int { condition.withLock { completedCheckpoints } }
}
