import Foundation

/// Work posted from other threads (the writer, blocking workers) to run on the lws service thread.
///
/// Threading: `post` is safe from any thread; it enqueues under a lock and calls `wake`, which must be
/// `WebSocketServer.wake()` (lws_cancel_service). `drain` runs only on the service thread.
/// The queue is bounded by its producers: the writer posts one receipt per transaction and workers one
/// result per job, and both of those are bounded queues themselves.
public final class ServiceMailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [@Sendable () -> Void] = []
    private let wake: @Sendable () -> Void

    public init(wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }

    /// Any thread.
    public func post(_ job: @escaping @Sendable () -> Void) {
        lock.lock()
        jobs.append(job)
        let first = jobs.count == 1
        lock.unlock()
        if first { wake() }
    }

    /// Service thread only: runs everything posted so far, in order.
    public func drain() {
        while true {
            lock.lock()
            let batch = jobs
            jobs = []
            lock.unlock()
            if batch.isEmpty { return }
            for job in batch { job() }
        }
    }
}
