/// Remembers urgent chat requests answered with a ticket (outside support hours), so that a resend of the same
/// request (same customer, same clientId) gets the same answer instead of a second ticket. Bounded: the oldest
/// entries are forgotten first. Confined to the engine's thread.
struct UrgentRequestLedger {
    enum State {
        case unknown
        case pending
        case answered(ServerMessage)
    }

    private var pending: [String: ConnectionID] = [:]
    private var answers: [String: ServerMessage] = [:]
    private var order: [String] = []
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func state(_ key: String) -> State {
        if let answer = answers[key] { return .answered(answer) }
        return pending[key] == nil ? .unknown : .pending
    }

    func origin(_ key: String) -> ConnectionID? { pending[key] }

    mutating func begin(_ key: String, origin: ConnectionID) { pending[key] = origin }

    mutating func setOrigin(_ key: String, _ origin: ConnectionID) { pending[key] = origin }

    mutating func record(_ key: String, answer: ServerMessage) {
        answers[key] = answer
        order.append(key)
        if order.count > capacity {
            let old = order.removeFirst()
            answers[old] = nil
        }
    }

    /// Forgets a key (the ticket could not be created; a retry may try again).
    mutating func forget(_ key: String) { pending[key] = nil }

    /// Called after the answer was sent: the request is no longer pending.
    mutating func settle(_ key: String) { pending[key] = nil }
}
