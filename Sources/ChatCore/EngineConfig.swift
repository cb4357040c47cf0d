import Foundation

/// Tunables of the engine. Loaded from the server's configuration.
public struct EngineConfig: Sendable, Equatable {
    /// At most this many active sessions per agent by routing (and by take).
    public var agentSessionCap: Int
    /// How long an agent's sessions wait for the agent to reconnect before going back to the queue.
    public var agentGraceSeconds: TimeInterval
    /// Longest message text, in characters (Unicode scalars).
    public var maxMessageLength: Int
    /// Longest subject, in characters.
    public var maxSubjectLength: Int
    /// Events kept in memory per open session for synchronous resume (at least this many, at most twice);
    /// older ones are read from storage.
    public var tailSize: Int

    /// Most events a replay sends in one go; longer replays stream page by page from storage with flow control
    /// (`Effect.loadHistory`), so that a replay never fills a connection's outgoing queue.
    public var replayPageSize: Int

    /// Staff boards (queue and agent loads) are broadcast at most once per this interval: with many agents,
    /// a broadcast per change would be quadratic. 0 broadcasts every change at once.
    public var boardIntervalSeconds: TimeInterval

    public init(agentSessionCap: Int = 3, agentGraceSeconds: TimeInterval = 60, maxMessageLength: Int = 4000,
                maxSubjectLength: Int = 200, tailSize: Int = 256, boardIntervalSeconds: TimeInterval = 0.25,
                replayPageSize: Int = 64) {
        self.replayPageSize = max(1, replayPageSize)
        self.boardIntervalSeconds = boardIntervalSeconds
        self.agentSessionCap = agentSessionCap
        self.agentGraceSeconds = agentGraceSeconds
        self.maxMessageLength = maxMessageLength
        self.maxSubjectLength = maxSubjectLength
        self.tailSize = tailSize
    }
}
