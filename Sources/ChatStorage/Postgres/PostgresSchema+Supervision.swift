extension PostgresSchema {
    /// Tickets and their history, on-call outbox, ratings, canned replies, audit, full-text search.
    static let supervision: [PGMigration] = []
}
