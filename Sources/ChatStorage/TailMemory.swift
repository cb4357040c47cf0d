import ChatCore

/// One appended event as the tail flush needs it: its `event_index` entry (session, seq, id) and what it adds to its
/// session's aggregates (`ChatStore.indexRange` reads the same columns from `events`).
struct TailEntry: Equatable {
    /// What the event adds to the aggregates besides its seq.
    enum Effect: UInt8 {
        case none
        /// A message from the customer (or the system): counted.
        case message
        /// A message from an agent or supervisor: counted, and the first sets `first_agent_reply_at`.
        case agentReply
        /// The first sets `first_joined_at`.
        case joined
    }

    var sessionID: Int64
    var seq: Int64
    var eventID: Int64
    /// `events.at` as stored (seconds since 1970).
    var at: Double
    var effect: Effect

    init(_ event: SessionEvent, id: Int64) {
        sessionID = event.sessionID
        seq = event.seq
        eventID = id
        at = event.at.timeIntervalSince1970
        switch event.kind {
        case .message: effect = event.author.role == .agent || event.author.role == .supervisor ? .agentReply : .message
        case .joined: effect = .joined
        default: effect = .none
        }
    }
}

/// The writer's memory of the events it committed after a known id, so a flush of the tail writes their index
/// entries and aggregates from memory (`ChatStore.indexEntries`) instead of scanning `events` twice per piece (the
/// scans made a flush cost grow with the batch times its pieces: bench/ANALYSIS.md).
///
/// It holds every event with an id in (`after`, `through`], in id order, or it is not used: an append that does
/// not continue it (another connection wrote events, a failed transaction made the writer re-read the next id)
/// makes the writer drop it, and it starts a new one after the next flush (which reads `events`). It never holds
/// more than `limit` entries (a flush that keeps failing must not make it grow without bound). Writer thread only.
struct TailMemory {
    private(set) var after: Int64
    private(set) var entries: [TailEntry] = []
    let limit: Int

    init(after: Int64, limit: Int) {
        self.after = after
        self.limit = limit
    }

    /// The newest event remembered (`after` when none).
    var through: Int64 { entries.last?.eventID ?? after }

    /// Adds a committed transaction's events (in id order). Returns false, and remembers nothing more, when they do
    /// not continue what it holds or would pass `limit`: the caller drops this memory.
    mutating func append(_ appended: [TailEntry]) -> Bool {
        guard let first = appended.first else { return true }
        guard first.eventID == through + 1, entries.count + appended.count <= limit else { return false }
        entries.append(contentsOf: appended)
        return true
    }

    /// Forgets the events up to `id` (a flush took them).
    mutating func forget(through id: Int64) {
        guard id > after else { return }
        let kept = entries.firstIndex { $0.eventID > id } ?? entries.endIndex
        entries.removeFirst(kept)
        after = id
    }

    /// The events in (`from`, `through`] (with `pending`, this transaction's own, which follow the remembered ones)
    /// split into the flush's `count` pieces by `session_id % count`, each sorted by session and seq, as
    /// `ChatStore.indexRange` writes them. Nil unless every one of them is remembered or pending.
    func pieces(from: Int64, through: Int64, pending: [TailEntry], count: Int) -> [[TailEntry]]? {
        let newest = pending.last?.eventID ?? self.through
        guard after <= from, through <= newest, pending.first.map({ $0.eventID == self.through + 1 }) ?? true
        else { return nil }
        var pieces = Array(repeating: [TailEntry](), count: count)
        for entry in [entries, pending].joined() where entry.eventID > from && entry.eventID <= through {
            pieces[Self.piece(of: entry.sessionID, count: count)].append(entry)
        }
        for index in pieces.indices {
            pieces[index].sort { ($0.sessionID, $0.seq) < ($1.sessionID, $1.seq) }
        }
        return pieces
    }

    /// The piece of a session: `session_id % count`, made non-negative as `ChatStore.indexRange` does.
    static func piece(of sessionID: Int64, count: Int) -> Int {
        let remainder = Int(sessionID % Int64(count))
        return remainder < 0 ? remainder + count : remainder
    }
}
