import ChatStorage
import Foundation
import Logging

/// Keeps the full-text index file up to date with committed events, on a thread of its own: every
/// `intervalSeconds` it indexes whatever was committed since (in chunks, each one transaction of the index file,
/// never holding the chat database's write lock). At start it also catches up after a crash or a restore (the index
/// file remembers the last event it holds). Threading: `start`/`stop` from the server's owner thread.
final class SearchIndexer: Sendable {
    private let store: any StorageBackend
    private let logger: Logger
    private let thread: IntervalThread

    init(store: any StorageBackend, intervalSeconds: Double, logger: Logger) {
        self.store = store
        self.logger = logger
        // Derived data, minutes behind at worst: never ahead of chat traffic for the core.
        thread = IntervalThread(name: "chatd.search", intervalSeconds: intervalSeconds, niceness: 10)
    }

    func start() {
        thread.start { [store, logger] in
            do {
                try store.indexSearch()
            } catch {
                logger.error("search indexing failed; retrying", metadata: ["storage.error": "\(error)"])
            }
        }
    }

    func stop() { thread.stop() }
}
