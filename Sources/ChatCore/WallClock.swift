import Foundation

/// The source of "now" for the domain. Injected so tests and demos control time.
/// Implementations must be safe to call from any thread.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The real clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that starts at `start` (default: now) and runs `speed` times faster than real time from the moment
/// it is created. Used by demos and end-to-end tests to show minutes-long policies in seconds, or to run as if
/// it were a Saturday.
public struct AcceleratedClock: WallClock {
    /// The real instant the clock was created.
    public let origin: Date
    /// The domain instant at `origin`.
    public let start: Date
    public let speed: Double
    public init(speed: Double, start: Date? = nil, origin: Date = Date()) {
        self.origin = origin
        self.start = start ?? origin
        self.speed = speed
    }
    public func now() -> Date {
        start.addingTimeInterval(Date().timeIntervalSince(origin) * speed)
    }
}

/// A clock moved by hand. For tests; confined to the test's thread.
public final class ManualClock: WallClock, @unchecked Sendable {
    private var current: Date
    public init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = start }
    public func now() -> Date { current }
    public func advance(by seconds: TimeInterval) { current = current.addingTimeInterval(seconds) }
    public func set(_ date: Date) { current = date }
}
