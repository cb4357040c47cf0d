// # PostgreSQL schema, cluster (migration "p0-cluster-leases", applied first)
//
// - cluster_leases(name text PK, holder text, generation bigint, expires_at double precision): one row per lease
//   (a chat owner's, the router's). `generation` grows by one at every change of holder; it is the fencing token:
//   the chat writer (`PostgresWriter`, with `PostgresStore.setWriteFence`) checks the row, `FOR SHARE`, at the
//   start of every transaction, so a holder that lost the lease commits nothing more. Acquisition and renewal are
//   the cluster's (another file).
extension PostgresSchema {
    /// Cluster coordination: leases with fencing generations.
    static let cluster: [PGMigration] = [
        PGMigration("p0-cluster-leases", [
            """
            CREATE TABLE cluster_leases (
                name text COLLATE "C" PRIMARY KEY,
                holder text,
                generation bigint NOT NULL,
                expires_at double precision NOT NULL)
            """,
        ]),
    ]
}
