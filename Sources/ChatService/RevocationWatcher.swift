import ChatStorage
import Foundation
import Logging

/// Notices staff sessions revoked by `chatd admin disable-staff` / `revoke-sessions`, which run in another process
/// and can only reach the server through the database: every `intervalSeconds` a thread of its own reads the
/// revocation log after the last row it saw (one indexed range read) and hands new rows to `onRevoked`.
/// The server then closes those staff members' WebSockets (4401): the delay is at most about one interval.
///
/// Threading: `start` and `stop` are called by the server's owner thread; `onRevoked` runs on the watcher's thread
/// (the server posts it to the service thread's mailbox). `@unchecked Sendable`: `lastSeq` is touched only by the
/// watcher thread.
final class RevocationWatcher: @unchecked Sendable {
    private let store: any StorageBackend
    private let logger: Logger
    private let thread: IntervalThread
    private var lastSeq: Int64

    /// - Parameter from: the latest revocation seq already dealt with (rows up to it are ignored).
    init(store: any StorageBackend, intervalSeconds: Double, from seq: Int64, logger: Logger) {
        self.store = store
        self.lastSeq = seq
        self.logger = logger
        thread = IntervalThread(name: "chatd.revocations", intervalSeconds: intervalSeconds)
    }

    func start(onRevoked: @escaping @Sendable ([StaffRevocation]) -> Void) {
        thread.start { [self] in
            do {
                let found = try store.staffRevocations(after: lastSeq)
                if let last = found.last {
                    lastSeq = last.seq
                    onRevoked(found)
                }
            } catch {
                logger.error("reading staff revocations failed", metadata: ["storage.error": "\(error)"])
            }
        }
    }

    /// Ends the watcher thread and waits for it.
    func stop() { thread.stop() }
}
