import Foundation

/// A thread of its own that runs `body` every `interval` seconds until stopped (the revocation watcher, the
/// retention sweeper). `stop()` wakes it and waits for it to end.
///
/// Threading: `start` and `stop` are called by the owner's thread; `body` runs on the interval thread.
/// `@unchecked Sendable`: `stopping` and `running` are guarded by `condition`.
final class IntervalThread: @unchecked Sendable {
    private let name: String
    private let interval: Double
    /// Added to the thread's nice value (Linux: per thread): background upkeep yields the core to the service and
    /// writer threads when they are runnable.
    private let niceness: Int32
    private let condition = NSCondition()
    private var stopping = false
    private var running = false

    init(name: String, intervalSeconds: Double, niceness: Int32 = 0) {
        self.name = name
        self.interval = intervalSeconds
        self.niceness = niceness
    }

    func start(_ body: @escaping @Sendable () -> Void) {
        condition.withLock { running = true }
        let thread = Thread { [self] in
            if niceness != 0 { lowerThreadPriority(by: niceness) }
            while waitInterval() { body() }
            condition.withLock {
                running = false
                condition.broadcast()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Ends the thread and waits for it (at most one run of `body`).
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while running { condition.wait() }
        }
    }

    /// Sleeps one interval; false once stopping.
    private func waitInterval() -> Bool {
        condition.withLock {
            let until = Date().addingTimeInterval(interval)
            while !stopping && Date() < until { _ = condition.wait(until: until) }
            return !stopping
        }
    }
}

/// Raises the calling thread's nice value by `amount` (Linux threads have their own; best effort: an error leaves
/// the priority as it was).
func lowerThreadPriority(by amount: Int32) {
    #if os(Linux)
    // The thread's kernel id, without gettid() (not exported to Swift): /proc/thread-self links to PID/task/TID.
    guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
          let tid = id_t(link.split(separator: "/").last ?? "") else { return }
    errno = 0
    let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid)
    if errno == 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, min(19, current + amount)) }
    #endif
}
