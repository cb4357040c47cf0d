import ChatCore
import Foundation

/// Token buckets by key (a principal, an organization), so that a limit holds across all of a principal's
/// connections, not per connection. Bounded: when `capacity` keys are held, buckets that have refilled
/// completely (idle keys, which a fresh bucket would equal) are dropped first, then the least recently used.
/// Not thread-safe: owned by one thread (the service thread).
struct KeyedRateLimiter<Key: Hashable> {
    let ratePerSecond: Double
    let burst: Double
    let capacity: Int
    private var buckets: [Key: TokenBucket] = [:]

    init(ratePerSecond: Double, burst: Double, capacity: Int = 100_000) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.capacity = max(1, capacity)
    }

    var count: Int { buckets.count }

    /// Takes a token from `key`'s bucket at `now`; whether the action is allowed.
    mutating func take(_ key: Key, now: Date) -> Bool {
        if buckets[key] == nil, buckets.count >= capacity { prune(now: now) }
        var bucket = buckets[key] ?? TokenBucket(ratePerSecond: ratePerSecond, burst: burst, now: now)
        let allowed = bucket.take(now: now)
        buckets[key] = bucket
        return allowed
    }

    /// Seconds until `key` has a token again (0 when it has one now).
    func retryAfter(_ key: Key, now: Date) -> Double {
        guard let bucket = buckets[key] else { return 0 }
        let tokens = min(burst, bucket.tokens + max(0, now.timeIntervalSince(bucket.updatedAt)) * ratePerSecond)
        return tokens >= 1 ? 0 : (1 - tokens) / ratePerSecond
    }

    private mutating func prune(now: Date) {
        let refillSeconds = burst / ratePerSecond
        buckets = buckets.filter { now.timeIntervalSince($0.value.updatedAt) < refillSeconds }
        if buckets.count >= capacity {
            // Everyone is active: drop the least recently used quarter.
            let keep = buckets.sorted { $0.value.updatedAt > $1.value.updatedAt }.prefix(capacity * 3 / 4)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}

/// Who a limit is counted for: a customer contact (across their connections) or a staff member.
enum PrincipalKey: Hashable {
    case customer(organizationID: String, contactID: String)
    case staff(Int64)

    init(_ principal: Principal) {
        switch principal {
        case .customer(let customer): self = .customer(organizationID: customer.organizationID, contactID: customer.contactID)
        case .staff(let identity): self = .staff(identity.id)
        }
    }
}
