import Foundation

/// Throttles `POST /api/login` per source address and per username, so that a flood of guesses neither
/// occupies the password-hashing queue nor tries many passwords against one account.
///
/// Each key (an address, a lowercased username) has a token bucket: `burst` attempts at once, refilled at
/// `burst / windowSeconds` per second. An attempt takes one token from both of its buckets, or from neither
/// when either is empty; the refusal says how long until both could allow one (`Retry-After`).
///
/// Memory is bounded: at most `maxEntries` keys are remembered. When a new key would pass the bound, keys whose
/// bucket is full again (as good as forgotten) are dropped; if that is not enough, the least recently used
/// tenth goes. Forgetting a key can only make the throttle more lenient for it, never stricter.
///
/// A plain value with time passed in (an injected clock): no locks, no system time. Mutate it from one thread
/// (the server keeps it on the lws service thread). Each call is O(1) amortised.
public struct LoginThrottle: Sendable {
    /// Why an attempt was refused and when to come back.
    public struct Refusal: Sendable, Equatable {
        /// Whole seconds until an attempt can succeed (at least 1): the `Retry-After` value.
        public var retryAfterSeconds: Int
        /// Which limit refused it: `address` or `username`.
        public var limit: String
    }

    /// Usernames are compared on this many characters at most.
    static let maxUsernameKeyLength = 128

    public let attemptsPerAddress: Double
    public let attemptsPerUsername: Double
    public let windowSeconds: Double
    public let maxEntries: Int
    private var buckets: [String: TokenBucket] = [:]

    /// Keys currently remembered (for tests and health figures).
    public var entryCount: Int { buckets.count }

    /// - Parameters: `attemptsPerAddress`, `attemptsPerUsername` >= 1 (burst sizes, also the refill per window);
    ///   `windowSeconds` > 0; `maxEntries` >= 2.
    public init(attemptsPerAddress: Double, attemptsPerUsername: Double, windowSeconds: Double, maxEntries: Int) {
        precondition(attemptsPerAddress >= 1 && attemptsPerUsername >= 1, "LoginThrottle: attempts must be >= 1")
        precondition(windowSeconds > 0 && windowSeconds.isFinite, "LoginThrottle: windowSeconds must be > 0")
        precondition(maxEntries >= 2, "LoginThrottle: maxEntries must be >= 2")
        self.attemptsPerAddress = attemptsPerAddress
        self.attemptsPerUsername = attemptsPerUsername
        self.windowSeconds = windowSeconds
        self.maxEntries = maxEntries
    }

    /// Records an attempt from `address` for `username` at `now`: nil if allowed, else the refusal.
    public mutating func attempt(address: String, username: String, now: Date) -> Refusal? {
        let addressKey = "a:" + address
        // Bounded key size: a username longer than any real one still costs one short key.
        let userKey = "u:" + String(username.lowercased().prefix(Self.maxUsernameKeyLength))
        var addressBucket = bucket(addressKey, burst: attemptsPerAddress, now: now)
        var userBucket = bucket(userKey, burst: attemptsPerUsername, now: now)
        let addressWait = addressBucket.secondsUntilAvailable(now: now)
        let userWait = userBucket.secondsUntilAvailable(now: now)
        if addressWait > 0 || userWait > 0 {
            let wait = max(addressWait, userWait)
            return Refusal(retryAfterSeconds: max(1, Int(wait.rounded(.up))),
                           limit: addressWait >= userWait ? "address" : "username")
        }
        _ = addressBucket.take(now: now)
        _ = userBucket.take(now: now)
        store(addressKey, addressBucket, now: now)
        store(userKey, userBucket, now: now)
        return nil
    }

    private func bucket(_ key: String, burst: Double, now: Date) -> TokenBucket {
        buckets[key] ?? TokenBucket(ratePerSecond: burst / windowSeconds, burst: burst, now: now)
    }

    private mutating func store(_ key: String, _ bucket: TokenBucket, now: Date) {
        if buckets[key] == nil && buckets.count >= maxEntries { evict(now: now) }
        buckets[key] = bucket
    }

    /// Drops forgotten-equivalent keys (full buckets), then if still at the bound the least recently used tenth.
    private mutating func evict(now: Date) {
        buckets = buckets.filter { !$0.value.isFull(now: now) }
        guard buckets.count >= maxEntries else { return }
        let drop = max(1, buckets.count / 10)
        for (key, _) in buckets.sorted(by: { $0.value.updatedAt < $1.value.updatedAt }).prefix(drop) {
            buckets.removeValue(forKey: key)
        }
    }
}

extension TokenBucket {
    /// Seconds until one token is available at `now` (0 if one is). Does not change the bucket.
    func secondsUntilAvailable(now: Date) -> Double {
        let available = min(burst, tokens + max(0, now.timeIntervalSince(updatedAt)) * ratePerSecond)
        return available >= 1 ? 0 : (1 - available) / ratePerSecond
    }

    /// Whether the bucket has refilled completely by `now` (so it behaves exactly like a new one).
    func isFull(now: Date) -> Bool {
        tokens + max(0, now.timeIntervalSince(updatedAt)) * ratePerSecond >= burst
    }
}
