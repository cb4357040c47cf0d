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
///    the writer keeps committing (WAL mode allows both at once), then fsyncs the database file itself: SQLite
///    syncs it only when a checkpoint reached the WAL's end, which a pass never does while commits go on, so the
///    whole copy's fsync used to fall to step 3. Before that fsync the copy is written back a slice at a time
///    (`WriteBackPacer`), so the disk's queue never holds megabytes ahead of the writer's WAL fsyncs. This is the
///    long part. Each pass copies what the writer committed during the one before; passes go on (at most
///    `maxCopyPasses`) until the writer committed at most `finishFramesAtMost` frames during one (the WAL hook
///    counts them).
/// 3. It then runs a last PASSIVE checkpoint on the writer connection, between two of the writer's transactions
///    (GRDB serializes it with them): it copies only what was committed during the last pass (about a millisecond
///    at 12,000 msgs/s, fsync included), so the WAL is entirely in the database file and the next transaction
///    starts the WAL file over from its beginning (and `journal_size_limit` cuts it back). Without this step a
///    writer that never pauses would never let the WAL restart, and the file would grow.
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
    /// Frames appended to the WAL by the writer connection's commits since start, and the WAL's length after the
    /// last one (from the WAL hook). Guarded by `condition`.
    private var framesCommitted = 0
    private var walFrames: Int32 = 0
    /// A checkpoint copied the whole WAL since the last commit, so the next commit may start it over.
    private var walCopiedWhole = false
    /// Frames the last finishing step (step 3) copied and the copy passes before it; for tests and diagnostics.
    /// Guarded by `condition`.
    private var lastFinish = (copiedFrames: Int32(0), passes: 0)
    /// Tests only: called on the checkpoint thread after each copy pass (with its number, from 0). Set before the
    /// first checkpoint; guarded by `condition`.
    private var afterCopyPass: (@Sendable (Int) -> Void)?
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
        condition.withLock {
            // The WAL's length after this commit: longer by what it appended, or only that after a restart. A
            // restart is taken to have happened whenever a checkpoint had copied the whole WAL since the last commit
            // (it then usually does): overcounting costs a copy pass at most, undercounting a longer finishing step.
            let restarted = pages < walFrames || walCopiedWhole
            framesCommitted &+= Int(restarted ? pages : pages - walFrames)
            walFrames = pages
            walCopiedWhole = false
            guard pages >= thresholdPages, !stopping, !requested, !running else { return }
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
        let pacer = WriteBackPacer(path: path)
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
            let (copiedFrames, passes) = connection.map { copyPasses($0, pacer) } ?? (0, 0)
            let finish = finishOnWriterConnection()
            if let finish { noteCopied(finish) }
            condition.withLock {
                running = false
                if let finish {
                    // Fewer frames than the passes copied: the WAL started over in between (an idle writer).
                    let copied = finish.copiedFrames >= copiedFrames
                        ? finish.copiedFrames - copiedFrames : finish.copiedFrames
                    lastFinish = (copied, passes)
                }
                let finished = finish.map { $0.copiedFrames == $0.logFrames } ?? false
                if finished { completedCheckpoints += 1 }
                condition.broadcast()
                if !finished {
                    let until = Date(timeIntervalSinceNow: Self.retryDelaySeconds)
                    while !stopping && Date() < until { _ = condition.wait(until: until) }
                }
            }
        }
    }

    /// Step 2 on the checkpoint's own connection: passes (a copy, then an fsync of the database file) until the
    /// writer committed at most `finishFramesAtMost` frames during one (what the finishing step will have to copy),
    /// a reader held part of the WAL back, or `maxCopyPasses` ran. Returns the frames in the database file after
    /// the last pass and the passes made.
    ///
    /// Measured at 12,000 msgs/s (bench --trace, perf trace): the finishing step held the writer 13-16 ms, for the
    /// fsync of everything the passes had copied, and its own copy; with the sync here and more passes, median
    /// 0.6 ms, at most 4.6 ms.
    ///
    /// The first version stopped when a pass had left nothing behind, which every pass does (it copies up to the
    /// WAL's end as it was when it started): so there was one pass, and the finishing step copied everything
    /// committed during it (200-250 frames, 11-25 ms holding the writer at 12,000 msgs/s, bench --trace).
    ///
    /// Tried and not kept: the passes at nice 19 on a thread of their own. At 12,000 msgs/s messages sent during a
    /// checkpoint took p50 3 ms instead of 8-17, but at 24,000 msgs/s (chatd's core saturated) the starved copy let
    /// the WAL grow and p50 rose from 6.0-9.5 to 10.4-17.5 ms (four alternating pairs): the maximum matters more.
    private func copyPasses(_ connection: OpaquePointer, _ pacer: WriteBackPacer) -> (copiedFrames: Int32, passes: Int) {
        var copied: Int32 = 0
        var passes = 0
        while passes < Self.maxCopyPasses {
            let committedBefore = condition.withLock { framesCommitted }
            guard let frames = Self.passiveCheckpointFrames(connection) else { break }
            pacer.writeBack()   // the copy reaches the disk a slice at a time, not all in the fsync
            guard Self.syncDatabaseFile(connection) else { break }
            noteCopied(frames)
            passes += 1
            copied = frames.copiedFrames
            condition.withLock { afterCopyPass }?(passes - 1)
            if frames.copiedFrames < frames.logFrames { break }   // a reader holds the rest: more passes copy nothing
            if condition.withLock({ framesCommitted }) - committedBefore <= Self.finishFramesAtMost { break }
        }
        return (copied, passes)
    }

    /// After a checkpoint: whether it copied the whole WAL (as far as the WAL hook has seen it grow).
    private func noteCopied(_ frames: (logFrames: Int32, copiedFrames: Int32)) {
        condition.withLock {
            if frames.copiedFrames == frames.logFrames && frames.logFrames >= walFrames { walCopiedWhole = true }
        }
    }

    /// fsyncs the database file of `connection` (through SQLite's own file object, so its sync settings apply).
    /// The pages a pass copied are then on disk before step 3, which syncs only what it copies itself. An extra
    /// sync is always safe: until the WAL starts over, the WAL holds every copied page too.
    private static func syncDatabaseFile(_ connection: OpaquePointer) -> Bool {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(connection, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK,
              let file, let sync = file.pointee.pMethods?.pointee.xSync else { return false }
        return sync(file, SQLITE_SYNC_NORMAL) == SQLITE_OK
    }

    /// Step 3: the few frames committed during the last copy pass, between two writer transactions.
    private func finishOnWriterConnection() -> (logFrames: Int32, copiedFrames: Int32)? {
        guard let pool else { return nil }
        return pool.writeWithoutTransaction { db in Self.passiveCheckpointFrames(db.sqliteConnection) }
    }

    /// Copy passes on the checkpoint's own connection before the finishing step, at most.
    static let maxCopyPasses = 6
    /// The passes end when the writer committed at most this many frames during one: the finishing step then
    /// copies about as few.
    static let finishFramesAtMost: Int32 = 64

    /// A PASSIVE checkpoint: the frames in the WAL and those in the database file after it; nil on an error.
    private static func passiveCheckpointFrames(_ connection: OpaquePointer?) -> (logFrames: Int32, copiedFrames: Int32)? {
        var logFrames: Int32 = 0
        var copiedFrames: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames)
        return code == SQLITE_OK ? (logFrames, copiedFrames) : nil
    }

    /// Checkpoints that ran to the end of the WAL so far. Safe from any thread.
    var completed: Int { condition.withLock { completedCheckpoints } }

    /// The frames the last finishing step copied and the copy passes before it. Safe from any thread.
    var lastFinishStep: (copiedFrames: Int32, passes: Int) { condition.withLock { lastFinish } }

    /// Tests only: waits until no checkpoint is requested or running (one may start again with the next commit).
    func waitUntilIdle() {
        condition.withLock { while (requested || running) && !stopping { condition.wait() } }
    }

    /// Tests only: `hook` runs on the checkpoint thread after each copy pass. Safe from any thread.
    func setAfterCopyPass(_ hook: (@Sendable (Int) -> Void)?) { condition.withLock { afterCopyPass = hook } }
}
