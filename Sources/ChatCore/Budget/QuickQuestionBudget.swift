import Foundation

/// The quick-question time of one chat: it runs while an agent is assigned (from the first join, through
/// transfers), pauses while the chat waits in the queue, warns near the end, and at the end the customer is
/// offered conversion to a ticket. A pure value; time is passed in.
public struct QuickQuestionBudget: Sendable, Equatable, Codable {
    public enum Stage: String, Sendable, Equatable, Codable {
        /// No agent has joined yet.
        case notStarted = "not_started"
        /// Running (or paused while requeued) with more than the warning time left.
        case running
        /// The warning was given.
        case warned
        /// Used up: the conversion offer waits for the customer.
        case offerPending = "offer_pending"
        /// The customer declined: the agent decides to continue or close.
        case declined
        /// The agent continued after a decline: no further offers.
        case continued
        /// A ticket is being created from the chat, or was.
        case converting
    }

    public var limitSeconds: Double
    /// Time used before `runningSince` (accumulated over earlier assignments).
    public var usedSeconds: Double = 0
    /// Set while running (an agent is assigned); nil while not started or paused in the queue.
    public var runningSince: Date?
    public var stage: Stage = .notStarted

    public init(limitSeconds: Double, usedSeconds: Double = 0, runningSince: Date? = nil, stage: Stage = .notStarted) {
        self.limitSeconds = limitSeconds
        self.usedSeconds = usedSeconds
        self.runningSince = runningSince
        self.stage = stage
    }

    public var isRunning: Bool { runningSince != nil }

    public func used(at now: Date) -> Double {
        usedSeconds + (runningSince.map { max(0, now.timeIntervalSince($0)) } ?? 0)
    }

    public func remaining(at now: Date) -> Double { max(0, limitSeconds - used(at: now)) }

    /// An agent joined: start (first join) or resume (after a requeue). Transfers do not call this.
    public mutating func run(at now: Date) {
        guard runningSince == nil else { return }
        runningSince = now
        if stage == .notStarted { stage = .running }
    }

    /// The chat went back to the queue: queue time does not count.
    public mutating func pause(at now: Date) {
        guard let since = runningSince else { return }
        usedSeconds += max(0, now.timeIntervalSince(since))
        runningSince = nil
    }

    /// The next instant at which the stage changes by itself (warning, then expiry), if the budget is running.
    /// May be in the past (e.g. resumed after a requeue with little time left): the engine acts at once.
    public func nextDeadline(warningSeconds: Double) -> Date? {
        guard let since = runningSince else { return nil }
        let base = since.addingTimeInterval(-usedSeconds)
        switch stage {
        case .running:
            return base.addingTimeInterval(max(0, limitSeconds - warningSeconds))
        case .warned:
            return base.addingTimeInterval(limitSeconds)
        default:
            return nil
        }
    }
}
