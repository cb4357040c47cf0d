import Foundation

/// Where and how urgent-ticket notices are delivered to on-call staff.
///
/// The initializer validates every field and throws `ConfigurationError` with a sentence naming the field.
/// The fields stay mutable for tests; a notifier clamps out-of-range numbers and reports
/// a URL made invalid after validation as a failed attempt. A plain value: safe to pass between threads.
public struct OnCallConfig: Sendable, Equatable {
    /// `https://host[:port][/path]` (or `http://` for a relay on a trusted network).
    public var url: String
    /// PEM file of the CAs to trust for an https webhook instead of the system's (a private CA); nil: the system's.
    public var caFile: String?
    /// The HMAC-SHA256 key that signs each body; shared with the receiver. Must not be empty.
    public var secret: [UInt8]
    /// Attempts per notice, the first included (at least 1). Default 5.
    public var maxAttempts: Int
    /// Delay before the second attempt; doubles for each later one, capped by `maxBackoffSeconds`. Default 2.
    public var initialBackoffSeconds: Double
    /// Cap on the delay between two attempts. Default 60.
    public var maxBackoffSeconds: Double
    /// Deadline for one whole attempt: connect, send, and read the status line. Default 10.
    public var timeoutSeconds: Double

    public init(url: String, secret: [UInt8], maxAttempts: Int = 5, initialBackoffSeconds: Double = 2,
                maxBackoffSeconds: Double = 60, timeoutSeconds: Double = 10, caFile: String? = nil) throws(ConfigurationError) {
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ConfigurationError("on-call webhook CA file: cannot read \(caFile)")
        }
        self.caFile = caFile
        do {
            _ = try WebhookURL(parsing: url)
        } catch {
            throw ConfigurationError("on-call webhook url: \(error.description)")
        }
        guard !secret.isEmpty else { throw ConfigurationError("on-call webhook secret: must not be empty") }
        guard maxAttempts >= 1 else { throw ConfigurationError("on-call maxAttempts: must be at least 1, got \(maxAttempts)") }
        guard initialBackoffSeconds.isFinite, initialBackoffSeconds >= 0 else {
            throw ConfigurationError("on-call initialBackoffSeconds: must be a finite number >= 0, got \(initialBackoffSeconds)")
        }
        guard maxBackoffSeconds.isFinite, maxBackoffSeconds >= initialBackoffSeconds else {
            throw ConfigurationError("on-call maxBackoffSeconds: must be finite and >= initialBackoffSeconds, got \(maxBackoffSeconds)")
        }
        guard timeoutSeconds.isFinite, timeoutSeconds > 0 else {
            throw ConfigurationError("on-call timeoutSeconds: must be a finite number > 0, got \(timeoutSeconds)")
        }
        self.url = url
        self.secret = secret
        self.maxAttempts = maxAttempts
        self.initialBackoffSeconds = initialBackoffSeconds
        self.maxBackoffSeconds = maxBackoffSeconds
        self.timeoutSeconds = timeoutSeconds
    }

    /// The delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
    /// `initialBackoffSeconds * 2^(attempt-1)`, capped by `maxBackoffSeconds`.
    public func backoff(afterAttempt attempt: Int) -> Double {
        let initial = max(0, initialBackoffSeconds)
        let cap = max(initial, maxBackoffSeconds)
        let exponent = min(max(attempt - 1, 0), 62)
        return min(cap, initial * Double(sign: .plus, exponent: exponent, significand: 1))
    }
}
