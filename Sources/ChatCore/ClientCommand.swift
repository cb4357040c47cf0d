/// A decoded request from an authenticated connection. Decoding and authentication happen in the service layer.
public enum ClientCommand: Sendable, Equatable {
    /// Customer: ask for a chat. `clientID` makes the request idempotent.
    case requestChat(productID: String, subject: String, firstMessage: String, clientID: String)
    /// Either side: send a message. `clientID` makes it idempotent; the ack carries the seq.
    case sendMessage(sessionID: SessionID, clientID: String, text: String)
    /// Either side: typing indicator (not stored).
    case typing(sessionID: SessionID, active: Bool)
    /// Either side: everything up to `seq` has been read.
    case markRead(sessionID: SessionID, seq: Seq)
    /// Any role allowed to see the session: send every event after `afterSeq`, then live events.
    case sync(sessionID: SessionID, afterSeq: Seq)
    /// Staff: availability for routing.
    case setStatus(AgentStatus)
    /// Agent: take a queued session.
    case take(sessionID: SessionID)
    /// Agent (own session) or supervisor: hand a session to another agent.
    case transfer(sessionID: SessionID, toAgent: StaffID)
    /// Either side: close the session.
    case close(sessionID: SessionID)
}

/// An agent's availability.
public enum AgentStatus: String, Sendable, Equatable, Codable {
    case available
    case away
    case offline
}
