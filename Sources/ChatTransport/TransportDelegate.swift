/// Receives everything the transport sees. Every method is called ONLY on the lws service thread (the thread
/// running ``WebSocketServer/run()``), so an implementation may call the service-thread-only methods of the server
/// directly from inside these calls.
public protocol TransportDelegate: AnyObject {
    /// A WebSocket on "/ws" completed its handshake. Other paths are refused at the handshake and never appear.
    func transport(_ t: WebSocketServer, didOpen c: TransportConnectionID, path: String)
    /// One whole (reassembled) text message. `bytes` is valid only during the call: copy what you keep.
    func transport(_ t: WebSocketServer, didReceiveText bytes: UnsafeRawBufferPointer, from c: TransportConnectionID)
    /// A binary message arrived; its payload is discarded, only the fact is reported.
    func transport(_ t: WebSocketServer, didReceiveBinaryFrom c: TransportConnectionID)
    /// The connection is gone (either side closed, or the network dropped). Sends to it now return `.unknownConnection`.
    func transport(_ t: WebSocketServer, didClose c: TransportConnectionID)
    /// A dynamic HTTP request (`/healthz`, `/api/...`). Answer now or in a later turn with
    /// ``WebSocketServer/respond(to:with:)``.
    func transport(_ t: WebSocketServer, didReceive request: HTTPRequest)
    /// Called after one or more ``WebSocketServer/wake()`` calls (wakes may be coalesced, and rare spurious
    /// calls happen: drain your mailbox and return).
    func transportDidWake(_ t: WebSocketServer)
    /// The one-shot timer set with ``WebSocketServer/scheduleTimer(after:)`` fired.
    func transportTimerFired(_ t: WebSocketServer)
    /// The outgoing queue of `c` fell to the low-water mark asked for with
    /// ``WebSocketServer/notifyWhenDrained(_:lowWater:)``: the next part of a long stream may be queued.
    func transport(_ t: WebSocketServer, didDrain c: TransportConnectionID)
    /// See the default implementation below.
    func transport(_ t: WebSocketServer, didAbandon requestID: UInt64)
    /// The body stream of `requestID` (``WebSocketServer/beginStream(to:status:contentType:headers:)``) fell to its
    /// low-water mark after ``WebSocketServer/appendStream(to:_:isLast:)`` answered `.queued(room: false)`: the
    /// next part may be appended. Default: nothing.
    func transport(_ t: WebSocketServer, streamDidDrain requestID: UInt64)
    /// The housekeeping timer set with ``WebSocketServer/scheduleHousekeeping(after:)`` fired. Default: nothing.
    func transportHousekeepingDue(_ t: WebSocketServer)
    /// Streamed uploads (WebSocketServer+RequestStream.swift): the byte limit under which this request's body is
    /// streamed to the delegate in chunks, or nil to buffer it whole as usual. Default: nil.
    func transport(_ t: WebSocketServer, streamedBodyLimitFor request: HTTPRequest) -> Int?
    /// The next chunk of a streamed body, in order. Report it consumed with
    /// ``WebSocketServer/requestBodyConsumed(_:chunks:)`` (flow control). Default: nothing.
    func transport(_ t: WebSocketServer, didReceiveBodyChunk bytes: [UInt8], of requestID: UInt64)
    /// The streamed body ended: `complete` false when it went over the limit (the transport answers 413 itself).
    /// Default: nothing.
    func transport(_ t: WebSocketServer, didEndBodyOf requestID: UInt64, complete: Bool)
}

extension TransportDelegate {
    /// The connection of a delivered HTTP request closed before ``WebSocketServer/respond(to:with:)`` answered it
    /// (the client gave up). Answering it later is harmless and ignored. Default: nothing.
    ///
    /// Reported as soon as lws notices the close. Measured with lws 4.1.6: after a request with a body (a POST)
    /// lws keeps reading and notices at once; after a body-less GET it stops reading until the request is answered,
    /// so such a close is only noticed at the deferred-response timeout.
    public func transport(_ t: WebSocketServer, didAbandon requestID: UInt64) {}

    public func transportHousekeepingDue(_ t: WebSocketServer) {}

    public func transport(_ t: WebSocketServer, streamedBodyLimitFor request: HTTPRequest) -> Int? { nil }
    public func transport(_ t: WebSocketServer, didReceiveBodyChunk bytes: [UInt8], of requestID: UInt64) {}
    public func transport(_ t: WebSocketServer, didEndBodyOf requestID: UInt64, complete: Bool) {}

    public func transport(_ t: WebSocketServer, streamDidDrain requestID: UInt64) {}

    /// Delegates that never ask for drain notifications need not implement it.
    public func transport(_ t: WebSocketServer, didDrain c: TransportConnectionID) {}
}
