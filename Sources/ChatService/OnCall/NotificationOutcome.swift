/// The outcome of one webhook attempt, or the final verdict on a notice. The caller records each in the
/// ticket's history. For one notice the sequence is: zero or more `failedAttempt(willRetry: true)`, then either
/// `delivered`, or `failedAttempt(willRetry: false)` followed by `gaveUp`. When `stop()` cuts a backoff short,
/// `gaveUp` directly follows a `failedAttempt(willRetry: true)`. A notice still queued when the notifier stops
/// gets only `gaveUp(attempts: 0, ...)`.
public enum NotificationOutcome: Sendable, Equatable {
    /// The receiver answered 2xx on attempt `attempt` (1-based).
    case delivered(attempt: Int, status: Int)
    /// Attempt `attempt` got a non-2xx status ("HTTP 500"), a connection error or a timeout.
    /// `willRetry` is false on the last attempt and when the notifier is stopping.
    case failedAttempt(attempt: Int, detail: String, willRetry: Bool)
    /// No more attempts: `maxAttempts` reached or the notifier stopped. `attempts` is how many were made.
    case gaveUp(attempts: Int, detail: String)
}
