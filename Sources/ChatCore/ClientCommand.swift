/// A decoded request from an authenticated connection. Decoding and authentication happen in the service layer.
public enum ClientCommand: Sendable, Equatable {
    /// Customer: ask for a chat. `clientID` makes the request idempotent. `urgent`: the customer cannot order or
    /// a job cannot be produced (outside hours this opens an urgent ticket and alerts on-call staff).
    /// `timeZone`: the customer's IANA zone, to tell them when support opens.
    case requestChat(productID: String, subject: String, firstMessage: String, clientID: String, urgent: Bool = false,
                     timeZone: String? = nil)
    /// Either side: send a message. `clientID` makes it idempotent; the ack carries the seq.
    case sendMessage(sessionID: SessionID, clientID: String, text: String)
    /// Staff: a note only staff see (an internal note, or a supervisor's whisper to the agent). Idempotent like
    /// `sendMessage`.
    case addNote(sessionID: SessionID, clientID: String, text: String)
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
    /// Customer: answer the conversion offer made when the quick-question time ran out.
    case respondToOffer(sessionID: SessionID, accept: Bool)
    /// Agent: carry on after the customer declined conversion.
    case continueChat(sessionID: SessionID)
    /// Agent: convert the chat to a ticket now.
    case convert(sessionID: SessionID, category: TicketCategory, severity: Int, urgent: Bool)
    /// Agent: propose paid professional services.
    case proposeServices(sessionID: SessionID, rateID: String, description: String, estimateHours: Double)
    /// Customer: accept or decline the pending professional-services proposal.
    case respondToServices(sessionID: SessionID, accept: Bool)
}

/// An agent's availability.
public enum AgentStatus: String, Sendable, Equatable, Codable {
    case available
    case away
    case offline
}
