import ChatCore
import Foundation
import GRDB

/// The chat server's SQLite database: the one facade over one `DatabasePool` (WAL mode).
///
/// Threading: every method is blocking (it waits for SQLite, and for the disk on writes) and thread-safe.
/// Call it from worker threads, the admin CLI, or `GroupCommitWriter`'s thread; NEVER from the libwebsockets
/// service thread. Reads run concurrently with each other and with the single writer (WAL snapshots).
///
/// Other processes (the admin CLI) may write the same file at the same time: writes wait up to
/// `busyTimeout` for SQLite's lock instead of failing at once.
public final class ChatStore: Sendable {
    /// How long a write waits for another process's write lock before failing with `SQLITE_BUSY`.
    public static let busyTimeout: TimeInterval = 5

    /// The underlying pool. Internal: everything outside this module goes through intent-named methods.
    let dbPool: DatabasePool
    /// The database file.
    public let path: String
    public let durability: Durability
    /// How many events the unindexed tail of `events` may hold before the writer indexes it (v9-event-log): larger
    /// means fewer index pages written per message, a longer tail scanned by reads of open chats.
    public let eventIndexBatch: Int
    /// How long committed events may stay unindexed when fewer than `eventIndexBatch` arrive (a quiet server):
    /// the writer then indexes them on its own. Bounds how stale the search index and the session aggregates get.
    public let eventIndexDelaySeconds: Double
    /// The full-text index, in its own file next to this one (`search.sqlite`): see `SearchIndex`.
    public let search: SearchIndex
    /// Checkpoints the WAL on a thread of its own once it holds `walCheckpointPages` pages.
    let checkpointer: WALCheckpointer

    deinit { checkpointer.stop() }

    /// Opens (creating it and its parent directory if needed) the database at `path`, and migrates it to the
    /// current schema.
    ///
    /// Blocking; call it at start-up, before the service thread runs, or from a worker thread.
    /// - Throws: a file-system error if the directory cannot be created, or a GRDB `DatabaseError` if the file
    ///   cannot be opened or migrated.
    /// - Parameter walCheckpointPages: pages the WAL may hold before it is checkpointed (SQLite's default is 1,000).
    /// - Parameter eventIndexBatch: see `eventIndexBatch`; at least 1.
    /// - Parameter eventIndexDelaySeconds: see `eventIndexDelaySeconds`.
    public init(path: String, durability: Durability = .full, walCheckpointPages: Int = 20_000,
                eventIndexBatch: Int = 8_192, eventIndexDelaySeconds: Double = 2) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeout)
        config.label = "ChatStore"

        self.path = path
        self.durability = durability
        self.eventIndexBatch = max(1, eventIndexBatch)
        self.eventIndexDelaySeconds = max(0.001, eventIndexDelaySeconds)
        self.dbPool = try DatabasePool(path: path, configuration: config)
        // Not in `prepareDatabase`: GRDB sets `synchronous = NORMAL` on the writer connection after that hook when
        // it turns WAL on. Only the writer connection commits, and the pool keeps it open, so setting it once
        // here lasts for the life of the store.
        try dbPool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability.pragmaValue)")
            // Checkpoints copy every page changed since the last one into the database file: the longer the
            // interval, the more often a hot page (a session's last leaf) is copied once for many commits.
            // Measured (Scripts/bench, 3k-10k msgs/s): 1,000 pages (SQLite's default) 25.5 KB written per message,
            // 20,000 pages 19.2 KB. The WAL file is cut back to twice that after a checkpoint. `WALCheckpointer`
            // runs them off the writer's commits (its hook replaces SQLite's automatic checkpoint).
            try db.execute(sql: "PRAGMA journal_size_limit = \(max(0, walCheckpointPages) * 4096 * 2)")
        }
        checkpointer = WALCheckpointer(path: path, thresholdPages: walCheckpointPages)
        checkpointer.install(on: dbPool)
        try Self.migrator.migrate(dbPool)
        search = try SearchIndex(path: directory.appendingPathComponent("search.sqlite").path)
    }

    /// Names of the migrations applied to this database, in order. Blocking.
    public func appliedMigrations() throws -> [String] {
        try dbPool.read { db in try Self.migrator.appliedMigrations(db) }
    }
}
