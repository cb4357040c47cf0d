/// Remembers urgent chat requests answered with a ticket (outside support hours), so that a resend of the same
/// request (same customer, same clientId) gets the same answer instead of a second ticket. Bounded: the oldest
/// entries are forgotten first (storage keeps one ticket per request key, so a forgotten or restarted request
/// finds the same ticket again). Confined to the engine's thread.
struct UrgentRequestLedger {
    enum State {
        case unknown
        case pending
        case answered(ServerMessage)
    }

    private var pending: [ChatRequestKey: ConnectionID] = [:]
    private var answers: [ChatRequestKey: ServerMessage] = [:]
    private var order: [ChatRequestKey] = []
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func state(_ key: ChatRequestKey) -> State {
        if let answer = answers[key] { return .answered(answer) }
        return pending[key] == nil ? .unknown : .pending
    }

    func origin(_ key: ChatRequestKey) -> ConnectionID? { pending[key] }

    mutating func begin(_ key: ChatRequestKey, origin: ConnectionID) { pending[key] = origin }

    mutating func setOrigin(_ key: ChatRequestKey, _ origin: ConnectionID) { pending[key] = origin }

    mutating func record(_ key: ChatRequestKey, answer: ServerMessage) {
        answers[key] = answer
        order.append(key)
        if order.count > capacity {
            let old = order.removeFirst()
            answers[old] = nil
        }
    }

    /// Forgets a key (the ticket could not be created; a retry may try again).
    mutating func forget(_ key: ChatRequestKey) { pending[key] = nil }

    /// Called after the answer was sent: the request is no longer pending.
    mutating func settle(_ key: ChatRequestKey) { pending[key] = nil }
}
