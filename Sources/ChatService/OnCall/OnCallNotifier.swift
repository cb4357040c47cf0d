import Foundation
import ChatCore

/// Delivers urgent-ticket notices to the on-call webhook, with retries and exponential backoff.
///
/// Threading contract:
/// - All network I/O and backoff waits happen on one dedicated `Thread` ("chatd.oncall") that this object owns,
///   never on the lws service thread and never on the Swift cooperative pool. Notices are sent one at a time,
///   in FIFO order, from a bounded queue.
/// - `notify`, `start` and `stop` are safe from any thread and `notify` never blocks (it is fine to call from
///   the lws service thread).
/// - `onOutcome` runs on the notifier's thread, once per attempt and once more for a final `gaveUp`; it must be
///   quick and must not block (post the record to the storage writer or the service mailbox). The one exception:
///   notices still queued when `stop()` is called on a notifier that was never started are reported on the
///   thread calling `stop()`.
/// - Lifecycle: `start()` once, `stop()` once (extra calls do nothing). Call `stop()` before releasing the
///   notifier: the thread holds a reference to it until then.
///
/// Retry policy: a 2xx status is `delivered`; any other status, a connection error or a timeout is a
/// `failedAttempt`, retried after `config.backoff(afterAttempt:)` seconds until `config.maxAttempts`, then `gaveUp`.
/// See `OnCallWebhook` for the request's wire format and how a receiver verifies the signature.
public final class OnCallNotifier: @unchecked Sendable {
    // @unchecked Sendable: the mutable state below is guarded by `condition`; everything else is immutable.
    private struct Job {
        var notice: UrgentNotice
        var onOutcome: @Sendable (NotificationOutcome) -> Void
    }

    private enum State { case idle, running, stopping, stopped }

    private let config: OnCallConfig
    private let sleeper: any Sleeper
    private let transport: any WebhookTransport
    private let clock: any WallClock
    private let capacity: Int

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [Job] = []
    private var state = State.idle
    private var threadFinished = false
    private var thread: Thread?

    /// - Parameters:
    ///   - config: where to send and the retry policy (validated by `OnCallConfig.init`).
    ///   - sleeper: waits between attempts; woken by `stop()`. Tests inject one that records delays and returns.
    ///   - transport: carries one attempt; the default is libcurl (`CurlWebhookTransport`, trusting `config.caFile`).
    ///   - clock: the source of `sentAt` and `X-Chatd-Timestamp`.
    ///   - queueCapacity: notices waiting behind the one in flight before `notify` refuses more (at least 1).
    public init(config: OnCallConfig, sleeper: any Sleeper = ThreadSleeper(),
                transport: (any WebhookTransport)? = nil, clock: any WallClock = SystemClock(),
                queueCapacity: Int = 100) {
        self.config = config
        self.sleeper = sleeper
        self.transport = transport ?? CurlWebhookTransport(caFile: config.caFile)
        self.clock = clock
        self.capacity = max(1, queueCapacity)
    }

    /// Starts the notifier's thread. Any thread; does nothing if already started or stopped.
    public func start() {
        condition.lock()
        guard state == .idle else {
            condition.unlock()
            return
        }
        state = .running
        let thread = Thread { [self] in self.run() }
        thread.name = "chatd.oncall"
        self.thread = thread
        condition.unlock()
        thread.start()
    }

    /// Queues `notice` for delivery. Any thread; never blocks. Notices queued before `start()` wait for it.
    ///
    /// Returns false, and will never call `onOutcome`, when the queue is full or the notifier is stopping:
    /// the caller should record that the on-call staff were not notified.
    @discardableResult
    public func notify(_ notice: UrgentNotice, onOutcome: @escaping @Sendable (NotificationOutcome) -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard state == .idle || state == .running, queue.count < capacity else { return false }
        queue.append(Job(notice: notice, onOutcome: onOutcome))
        condition.signal()
        return true
    }

    /// Stops the notifier in bounded time: the attempt in flight finishes (at most `config.timeoutSeconds`) and
    /// is reported; a pending retry is abandoned and reported as `gaveUp`; queued notices are reported as
    /// `gaveUp(attempts: 0, ...)`; then the thread is joined. Any thread; when called from inside an `onOutcome`
    /// callback it returns without joining (the thread ends right after).
    public func stop() {
        condition.lock()
        switch state {
        case .idle:
            state = .stopped
            let abandoned = queue
            queue = []
            condition.unlock()
            Self.reportNeverAttempted(abandoned)
            return
        case .running:
            state = .stopping
            condition.broadcast()
        case .stopping, .stopped:
            break
        }
        let worker = thread
        condition.unlock()

        sleeper.wake()
        guard let worker, Thread.current != worker else { return }
        condition.lock()
        while !threadFinished { condition.wait() }
        condition.unlock()
    }

    // MARK: - The notifier's thread

    private func run() {
        while let job = nextJob() {
            deliver(job)
        }
        condition.lock()
        let abandoned = queue
        queue = []
        condition.unlock()
        Self.reportNeverAttempted(abandoned)
        condition.lock()
        state = .stopped
        threadFinished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next queued job, waiting for one; nil once stopping.
    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && state == .running { condition.wait() }
        guard state == .running else { return nil }
        return queue.removeFirst()
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return state != .running
    }

    private func deliver(_ job: Job) {
        let maxAttempts = max(1, config.maxAttempts)
        let timeout = config.timeoutSeconds.isFinite && config.timeoutSeconds > 0 ? config.timeoutSeconds : 10
        var attempt = 1
        while true {
            let now = clock.now()
            let timestamp = OnCallWebhook.timestamp(now)
            let body = OnCallWebhook.body(for: job.notice, attempt: attempt, sentAt: now)
            let headers = OnCallWebhook.headers(for: job.notice, attempt: attempt, timestamp: timestamp, body: body,
                                                secret: config.secret)
            let detail: String
            switch transport.post(url: config.url, headers: headers, body: body, timeout: timeout) {
            case .success(let status) where (200..<300).contains(status):
                job.onOutcome(.delivered(attempt: attempt, status: status))
                return
            case .success(let status):
                detail = "HTTP \(status)"
            case .failure(let error):
                detail = error.description
            }

            let stopping = isStopping
            let willRetry = attempt < maxAttempts && !stopping
            job.onOutcome(.failedAttempt(attempt: attempt, detail: detail, willRetry: willRetry))
            if !willRetry {
                let reason = attempt < maxAttempts ? "notifier stopped, retries abandoned; last error: \(detail)" : detail
                job.onOutcome(.gaveUp(attempts: attempt, detail: reason))
                return
            }
            sleeper.sleep(seconds: config.backoff(afterAttempt: attempt))
            if isStopping {
                job.onOutcome(.gaveUp(attempts: attempt, detail: "notifier stopped, retries abandoned; last error: \(detail)"))
                return
            }
            attempt += 1
        }
    }

    private static func reportNeverAttempted(_ jobs: [Job]) {
        for job in jobs {
            job.onOutcome(.gaveUp(attempts: 0, detail: "notifier stopped before the first attempt"))
        }
    }
}
