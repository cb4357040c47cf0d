/// What the engine asks the outside world to do. The service layer carries these out in order.
public enum Effect: Sendable, Equatable {
    /// Send one message to these connections (encoded once).
    case send([ConnectionID], ServerMessage)
    /// Make these writes durable (the writer thread's queue). Confirmation comes back as a `CommitReceipt`.
    case persist([StorageWrite])
    /// Read events of a session that are no longer in memory (or the session itself, if closed), off the
    /// service thread; hand the result to `ChatEngine.historyLoaded`.
    case loadHistory(ConnectionID, sessionID: SessionID, afterSeq: Seq)
    /// Close a connection with a WebSocket close code.
    case close(ConnectionID, code: UInt16, reason: String)
    /// Create a ticket off the service thread; answer with `ChatEngine.ticketCreated` or `ticketCreationFailed`.
    /// When `notifyOnCall` is set, alert on-call staff once it exists.
    case createTicket(TicketRequest)
}
