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

/// A clock that runs `speed` times faster than real time from the moment it is created.
/// Used by demos and end-to-end tests to show minutes-long policies in seconds.
public struct AcceleratedClock: WallClock {
    public let origin: Date
    public let speed: Double
    public init(speed: Double, origin: Date = Date()) {
        self.origin = origin
        self.speed = speed
    }
    public func now() -> Date {
        origin.addingTimeInterval(Date().timeIntervalSince(origin) * speed)
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
