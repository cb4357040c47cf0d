import Foundation

/// Waits between webhook retries. Injected so tests record the requested backoffs and return at once.
///
/// Threading: `sleep` is called only on the notifier's dedicated thread; `wake` may be called from any thread
/// (the notifier calls it from `stop()`) and must make a current or later `sleep` return promptly.
public protocol Sleeper: Sendable {
    /// Blocks the calling thread for about `seconds`, or less if woken.
    func sleep(seconds: Double)
    /// Ends the current sleep and every later one at once. Default: does nothing (for sleepers that never block).
    func wake()
}

extension Sleeper {
    public func wake() {}
}

/// The real sleeper: waits on a condition variable, so `wake()` (from `OnCallNotifier.stop()`) cuts a long
/// backoff short. Once woken it stays woken: every later `sleep` returns at once. Use one per notifier.
///
/// Threading: `sleep` blocks its caller; `wake` is safe from any thread.
public final class ThreadSleeper: Sleeper, @unchecked Sendable {
    // Guards `woken`.
    private let condition = NSCondition()
    private var woken = false

    public init() {}

    public func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !woken && Date() < deadline {
            _ = condition.wait(until: deadline)
        }
    }

    public func wake() {
        condition.lock()
        woken = true
        condition.broadcast()
        condition.unlock()
    }
}
