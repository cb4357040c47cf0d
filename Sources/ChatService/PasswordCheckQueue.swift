import Foundation

/// Password checks (PBKDF2, ~0.1 s each at production cost) on a pool of their own, apart from the
/// `BlockingWorkers` that serve hellos, history loads and tickets: a login flood then delays logins only.
///
/// The queue is small and bounded (`submit` refuses beyond it: the caller answers 503 `server_busy`), and a
/// queued check whose client has gone away is skipped: `abandon(_:)` marks it and the worker drops it
/// unhashed when its turn comes.
///
/// Threading: `submit` and `abandon` are safe from any thread and never block (the server calls them on the
/// service thread); jobs run on the queue's own worker threads. `@unchecked Sendable`: the only shared state
/// is `abandoned`, guarded by `lock`, and the `BlockingWorkers`, which is itself thread-safe.
public final class PasswordCheckQueue: @unchecked Sendable {
    private let workers: BlockingWorkers
    private let lock = NSLock()
    /// Request ids abandoned while queued. Bounded: an id is removed when its job's turn comes, and at most
    /// `capacity + workers` jobs exist at once.
    private var abandoned: Set<UInt64> = []
    private var skipped = 0

    public init(workers: Int, capacity: Int) {
        self.workers = BlockingWorkers(count: workers, capacity: capacity, name: "chatd.password")
    }

    public func start() { workers.start() }

    /// Any thread but a worker: lets queued jobs finish (abandoned ones are skipped), then ends the threads.
    public func stop() { workers.stop() }

    /// Any thread. Queues `check` for request `id`; false (nothing queued) when the queue is full.
    /// `check` runs on a worker unless `abandon(id)` was called before its turn.
    public func submit(_ id: UInt64, _ check: @escaping @Sendable () -> Void) -> Bool {
        workers.submit { [self] in
            let wasAbandoned = lock.withLock {
                let removed = abandoned.remove(id) != nil
                if removed { skipped += 1 }
                return removed
            }
            if !wasAbandoned { check() }
        }
    }

    /// Any thread. The client of request `id` went away: skip its check if it has not started.
    /// Call only for ids whose job is queued or running (the server tracks them), so the set stays bounded.
    public func abandon(_ id: UInt64) {
        lock.withLock { _ = abandoned.insert(id) }
    }

    /// Any thread. The check for `id` finished (or was skipped): forget any abandon mark left for it.
    public func finished(_ id: UInt64) {
        lock.withLock { _ = abandoned.remove(id) }
    }

    /// Any thread. How many queued checks were skipped because their client had gone.
    public var skippedCount: Int { lock.withLock { skipped } }
}
