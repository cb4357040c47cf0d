import Foundation

/// A thread of its own, at a raised nice value, that runs the work handed to `run(_:)` while the caller waits.
///
/// For bulk work that must not take the core from the service thread when that thread is runnable (the WAL copy:
/// at normal priority it got a fair share of chatd's one core for 40-60 ms every few seconds, and messages meanwhile
/// took 8-17 ms at the median instead of 2.7). The caller keeps its own priority, so a lock it takes around
/// such work (the writer connection, in `WALCheckpointer`'s finishing step) is never held by a starved thread.
///
/// Threading: `run` blocks the calling thread until the work is done; calls from several threads take turns.
/// `stop()` ends the thread after the work in hand. `@unchecked Sendable`: all state is guarded by `condition`.
final class LowPriorityLane: @unchecked Sendable {
    private let name: String
    private let niceness: Int32
    private let condition = NSCondition()
    private var job: (() -> Void)?
    private var busy = false
    /// Jobs handed over and jobs done, so each caller waits for its own.
    private var submitted = 0
    private var completed = 0
    private var started = false
    private var stopping = false

    /// - Parameter niceness: added to the thread's nice value (19 at most in all).
    init(name: String, niceness: Int32) {
        self.name = name
        self.niceness = niceness
    }

    /// Runs `work` on the lane's thread and returns its result; blocking. After `stop()` it runs on the caller.
    func run<T>(_ work: () -> T) -> T {
        withoutActuallyEscaping(work) { work in
            var result: T?
            let job = { result = work() }
            let handed = condition.withLock { () -> Bool in
                while busy && !stopping { condition.wait() }
                guard !stopping else { return false }
                busy = true
                self.job = job
                submitted += 1
                let ticket = submitted
                startIfNeeded()
                condition.broadcast()
                while completed < ticket { condition.wait() }
                return true
            }
            if !handed { job() }
            return result!
        }
    }

    /// Ends the thread once the work in hand is done. Idempotent.
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }

    /// Guarded by `condition`.
    private func startIfNeeded() {
        guard !started else { return }
        started = true
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    private func loop() {
        lowerThreadPriority(by: niceness)
        while true {
            var next = condition.withLock { () -> (() -> Void)? in
                while job == nil && !stopping { condition.wait() }
                return job
            }
            guard next != nil else { return }
            next?()
            // The caller's work must not outlive its `run` (withoutActuallyEscaping checks): drop it before waking.
            next = nil
            condition.withLock {
                job = nil
                busy = false
                completed += 1
                condition.broadcast()
            }
        }
    }
}

/// Raises the calling thread's nice value by `amount` (Linux threads have their own; best effort: an error leaves
/// the priority as it was). An unprivileged thread can never lower it again.
public func lowerThreadPriority(by amount: Int32) {
    #if os(Linux)
    // The thread's kernel id, without gettid() (not exported to Swift): /proc/thread-self links to PID/task/TID.
    guard amount > 0, let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
          let tid = id_t(link.split(separator: "/").last ?? "") else { return }
    errno = 0
    let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid)
    if errno == 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, min(19, current + amount)) }
    #endif
}
