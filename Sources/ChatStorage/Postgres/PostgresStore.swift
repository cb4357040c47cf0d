import ChatCore
import Foundation

/// The PostgreSQL backend (cluster mode): the same storage semantics as `ChatStore` on one PostgreSQL database
/// shared by every node. Its own migrations (`PostgresMigrations`), full-text search with `tsvector` where SQLite
/// uses FTS5, chat traffic committed in groups by `PostgresWriter`.
///
/// Threading: every method is blocking (network round trips to PostgreSQL) and thread-safe: each call checks a
/// connection out of `pool` for its duration. NEVER call it from the libwebsockets service thread.
public final class PostgresStore: Sendable {
    public let url: String
    /// Connections for blocking readers and the non-chat writes (tickets, staff, audit ...).
    let pool: PGPool
    /// Where attachment bytes live. In a cluster every node must see the same directory (shared storage), or
    /// attachments uploaded through one node cannot be downloaded through another.
    public let attachmentFiles: AttachmentFiles
    /// The lease the chat writer checks before each transaction (cluster fencing); see `setWriteFence`.
    let writeFence = WriteFenceBox()

    public var kind: String { "postgres" }

    /// Connects to `url` and migrates the schema (several nodes may start at once: the migration runs under an
    /// advisory lock). Blocking. Throws `PGError` if PostgreSQL cannot be reached or a migration fails.
    public init(url: String, attachmentsRoot: URL) throws {
        self.url = url
        pool = PGPool(url: url)
        attachmentFiles = AttachmentFiles(root: attachmentsRoot)
        try pool.with { try PostgresMigrations.migrate($0) }
    }

    /// Names of the migrations applied, in order. Blocking.
    public func appliedMigrations() throws -> [String] {
        try pool.with { connection in
            let rows = try connection.execute("SELECT name FROM chatd_migrations ORDER BY applied_order")
            return (0..<rows.count).compactMap { rows.string($0, 0) }
        }
    }
}

/// Opens the PostgreSQL backend as the server's `StorageBackend`.
public enum PostgresBackend {
    /// Connects to `url`, migrates the schema and returns the backend. Blocking.
    public static func open(url: String, attachmentsRoot: URL) throws -> any StorageBackend {
        try PostgresStore(url: url, attachmentsRoot: attachmentsRoot)
    }
}
