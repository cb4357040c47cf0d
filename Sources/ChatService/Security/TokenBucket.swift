import Foundation

/// A token bucket for per-connection rate limits: `burst` messages at once, refilled at `ratePerSecond`.
///
/// Time is passed in by the caller (an injected clock); nothing here reads the system time. A plain
/// value: copy-safe and `Sendable`, but a given bucket must be mutated by one thread at a time (keep it
/// in connection state owned by the service thread). Fast.
public struct TokenBucket: Sendable, Equatable {
    public let ratePerSecond: Double
    public let burst: Double
    /// Tokens available as of `updatedAt`.
    public private(set) var tokens: Double
    public private(set) var updatedAt: Date

    /// A full bucket at `now`. `ratePerSecond` must be > 0 and `burst` >= 1, both finite.
    public init(ratePerSecond: Double, burst: Double, now: Date) {
        precondition(ratePerSecond > 0 && ratePerSecond.isFinite, "TokenBucket: ratePerSecond must be > 0")
        precondition(burst >= 1 && burst.isFinite, "TokenBucket: burst must be >= 1")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.tokens = burst
        self.updatedAt = now
    }

    /// Takes one token if available at `now`; returns whether the action is allowed.
    /// A clock that steps backwards adds no tokens (and does not move `updatedAt` back).
    public mutating func take(now: Date) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    private mutating func refill(now: Date) {
        let elapsed = now.timeIntervalSince(updatedAt)
        guard elapsed > 0 else { return }
        tokens = min(burst, tokens + elapsed * ratePerSecond)
        updatedAt = now
    }
}
