/// What the engine asks the outside world to do. The service layer carries these out in order.
public enum Effect: Sendable, Equatable {
    /// Send one message to these connections (encoded once).
    case send([ConnectionID], ServerMessage)
    /// Make these writes durable (the writer thread's queue). Confirmation comes back as a `CommitReceipt`.
    case persist([StorageWrite])
    /// Read one page of a session's stored events after `afterSeq` (and the session itself), off the service
    /// thread, once the connection's outgoing queue has drained below its low-water mark (flow control: a replay
    /// of any length keeps the queue bounded); hand the page to `ChatEngine.historyLoaded`. The reader checks
    /// `SessionAccess` against the principal before reading any event.
    case loadHistory(ConnectionID, sessionID: SessionID, afterSeq: Seq)
    /// Call `ChatEngine.sessionListContinued` once the connection's outgoing queue has drained below its
    /// low-water mark: the next page of the `session` frames that follow `hello` (flow control for long lists).
    case continueSessionList(ConnectionID, afterSessionID: SessionID)
    /// Find a chat created by this request (open or closed) in storage; answer with `ChatEngine.chatRequestFound`.
    case findChatRequest(ChatRequestKey)
    /// Read a session that is not in memory (closed and evicted, or unknown) and, for a resent `send`, the event
    /// stored under `resend`; answer with `ChatEngine.sessionFound`. Also asked for a chat in memory when a resend
    /// names a committed message older than its tail (the acknowledgement needs the stored event's time).
    case findSession(ConnectionID, sessionID: SessionID, resend: ClientMessageKey?)
    /// Close a connection with a WebSocket close code.
    case close(ConnectionID, code: UInt16, reason: String)
    /// Create a ticket off the service thread; answer with `ChatEngine.ticketCreated` or `ticketCreationFailed`.
    /// When `notifyOnCall` is set, alert on-call staff once it exists.
    case createTicket(TicketRequest)
    /// The HTTP upload `requestID` asked for an `attachment` event: committed (answer 201 with the event) or
    /// refused (answer with the error; the uploaded file's row was never written).
    case attachmentAnswered(requestID: UInt64, AttachmentOutcome)
}
