import ChatStorage
import Logging

extension ChatServer {
    /// Makes the store's writer check, in every transaction, that this node still holds the engine lease with
    /// `generation`; when it does not, the process exits at once (crash-only: another node runs the engine now).
    static func fenceWrites(_ store: any StorageBackend, cluster: ClusterSettings, generation: Int64, logger: Logger) throws {
        // Wired to PostgresStore.setWriteFence once the PostgreSQL writer lands.
        throw ConfigurationError("cluster mode needs the PostgreSQL writer's fencing, not in this build yet")
    }
}
