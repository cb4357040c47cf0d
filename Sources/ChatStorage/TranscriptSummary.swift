import ChatCore

/// One session in a transcript listing. Plain value; safe on any thread.
public struct TranscriptSummary: Sendable, Equatable {
    public var record: ChatSessionRecord
    /// The highest committed seq (0 if the session has no events).
    public var lastSeq: Seq
    /// How many chat messages (events of kind `message`) the session holds.
    public var messageCount: Int

    public init(record: ChatSessionRecord, lastSeq: Seq, messageCount: Int) {
        self.record = record
        self.lastSeq = lastSeq
        self.messageCount = messageCount
    }
}
