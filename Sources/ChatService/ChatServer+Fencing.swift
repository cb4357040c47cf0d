import ChatStorage
import Foundation
import Logging

extension ChatServer {
    /// Makes the store's writer check, in every transaction, that this node still holds the engine lease with
    /// `generation` (`WriteFence`); when it does not, the process exits at once (crash-only: another node runs the
    /// engine now, and nothing this node has not committed may be acknowledged).
    static func fenceWrites(_ store: any StorageBackend, cluster: ClusterSettings, generation: Int64, logger: Logger) throws {
        guard let postgres = store as? PostgresStore else {
            throw ConfigurationError("cluster mode needs storage.kind \"postgres\"")
        }
        postgres.setWriteFence(WriteFence(
            leaseName: cluster.leaseName, holder: ClusterRunner.holderName(node: cluster.node), generation: generation,
            onLost: { [logger] in
                logger.critical("a chat write found the engine lease held by another node; exiting")
                _exit(75)
            }))
    }
}
