import ChatCore
import ChatStorage
import Foundation
import Logging

/// Applies the policy's retention on a thread of its own: every `intervalSeconds` it deletes closed chats and
/// closed tickets older than the policy allows, in batches of `batchSize` (one short write transaction each, so
/// the group-commit writer never waits long), until none are left. Nothing happens when the policy keeps
/// everything (the default).
///
/// Threading: `start`/`stop` from the server's owner thread; the sweep runs on its own thread (never the lws
/// service thread). `now` is the server's domain clock, safe from any thread.
final class RetentionSweeper: Sendable {
    private let store: any StorageBackend
    private let retention: RetentionPolicy
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let batchSize: Int
    private let thread: IntervalThread

    init(store: any StorageBackend, retention: RetentionPolicy, intervalSeconds: Double, batchSize: Int = 100, logger: Logger,
         now: @escaping @Sendable () -> Date) {
        self.store = store
        self.retention = retention
        self.now = now
        self.logger = logger
        self.batchSize = batchSize
        thread = IntervalThread(name: "chatd.retention", intervalSeconds: intervalSeconds, niceness: 10)
    }

    func start() {
        guard retention.closedChatDays != nil || retention.closedTicketDays != nil else { return }
        thread.start { [self] in _ = sweep() }
    }

    func stop() { thread.stop() }

    /// One sweep: returns (chats, tickets) deleted. Any thread but the service thread.
    @discardableResult
    func sweep() -> (chats: Int, tickets: Int) {
        var chats = 0, tickets = 0
        let instant = now()
        do {
            if let days = retention.closedChatDays {
                let cutoff = instant.addingTimeInterval(-Double(days) * 86_400)
                while true {
                    let deleted = try store.deleteClosedChats(closedBefore: cutoff, limit: batchSize)
                    chats += deleted
                    if deleted < batchSize { break }
                }
            }
            if let days = retention.closedTicketDays {
                let cutoff = instant.addingTimeInterval(-Double(days) * 86_400)
                while true {
                    let deleted = try store.deleteClosedTickets(lastChangedBefore: cutoff, limit: batchSize)
                    tickets += deleted
                    if deleted < batchSize { break }
                }
            }
        } catch {
            logger.error("retention sweep failed", metadata: ["storage.error": "\(error)"])
        }
        if chats + tickets > 0 {
            logger.notice("retention deleted old data", metadata: ["retention.chats": "\(chats)", "retention.tickets": "\(tickets)"])
        }
        return (chats, tickets)
    }
}
