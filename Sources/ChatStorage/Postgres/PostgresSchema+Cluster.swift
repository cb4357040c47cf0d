extension PostgresSchema {
    /// Cluster coordination: leases with fencing generations.
    static let cluster: [PGMigration] = []
}
