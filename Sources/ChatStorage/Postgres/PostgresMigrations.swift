/// One named, append-only step of the PostgreSQL schema: its statements run in one transaction. Never edit a
/// step once released; add a new one.
public struct PGMigration: Sendable {
    public let name: String
    public let statements: [String]
    public init(_ name: String, _ statements: [String]) {
        self.name = name
        self.statements = statements
    }
}

/// The PostgreSQL schema, in order. Same semantics as the SQLite migrations (ChatStore+Migrations.swift), written
/// for PostgreSQL: instants are `double precision` seconds since 1970 (exact round trip of `Date`), ids `bigint`.
enum PostgresMigrations {
    /// Cluster leases first: the writer's fence reads them from its first transaction.
    static var all: [PGMigration] { PostgresSchema.cluster + PostgresSchema.core + PostgresSchema.supervision }

    /// Applies the missing steps, each in its own transaction, under an advisory lock so that nodes starting
    /// together do not race. Blocking.
    static func migrate(_ connection: PGConnection) throws {
        try connection.execute("SELECT pg_advisory_lock(7242001)")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(7242001)") }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS chatd_migrations (
                name text PRIMARY KEY, applied_order serial NOT NULL,
                applied_at double precision NOT NULL DEFAULT extract(epoch FROM clock_timestamp()))
            """)
        let rows = try connection.execute("SELECT name FROM chatd_migrations")
        let applied = Set((0..<rows.count).compactMap { rows.string($0, 0) })
        for migration in all where !applied.contains(migration.name) {
            try connection.transaction { c in
                for statement in migration.statements { try c.execute(statement) }
                try c.execute("INSERT INTO chatd_migrations (name) VALUES ($1)", [.text(migration.name)])
            }
        }
    }
}

/// The steps, one list per area (each in a file of its own: PostgresSchema+Area.swift).
enum PostgresSchema {}
