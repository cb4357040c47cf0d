import CLibWebSockets

/// Several queued messages of one connection written with one `lws_write` (one `send` syscall) instead of one each.
///
/// When a commit delivers a batch, a connection often has several small frames queued when it is written (an
/// agent with three chats gets an event from each; a sender gets its ack and a budget frame). Each `lws_write` of a
/// text frame is a syscall of its own; here the frames are laid out back to back, each with the header lws would
/// have written (FIN + text opcode, the payload length; server frames are never masked and no extension is
/// enabled), and handed to lws as one raw write. lws sends raw bytes of a WebSocket connection as they are and, like
/// any write, keeps what the socket does not take at once and sends it before anything else. The peer sees exactly
/// the frames it would have seen one by one.
///
/// Only small messages are gathered (large ones are written alone, without the copy); the copy into the scratch
/// buffer is cheap next to the syscall it saves.
final class GatheredFrames {
    /// Messages up to this size are gathered; larger ones are written alone.
    static let maxGatheredMessageBytes = 4096
    /// Payload bytes (headers included) written in one gathered write at most.
    static let capacity = 32 * 1024

    /// `LWS_PRE` bytes of headroom, then up to `capacity` bytes of frames. Service thread only.
    let storage: UnsafeMutableRawPointer
    private(set) var used = 0

    init() {
        storage = UnsafeMutableRawPointer.allocate(byteCount: lwsPre + Self.capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// The frame header lws writes for an unmasked, final text frame of `count` bytes.
    static func headerBytes(_ count: Int) -> Int { count < 126 ? 2 : count <= 0xFFFF ? 4 : 10 }

    /// Whether `message` can be added now.
    func fits(_ message: OutgoingMessage) -> Bool {
        message.count <= Self.maxGatheredMessageBytes
            && used + Self.headerBytes(message.count) + message.count <= Self.capacity
    }

    /// Appends one frame (the caller checked `fits`).
    func append(_ message: OutgoingMessage) {
        let out = (storage + lwsPre + used).assumingMemoryBound(to: UInt8.self)
        let count = message.count
        out[0] = 0x81
        var header = 2
        if count < 126 {
            out[1] = UInt8(count)
        } else {
            out[1] = 126
            out[2] = UInt8(count >> 8)
            out[3] = UInt8(count & 0xFF)
            header = 4
        }
        message.withPayload { (out + header).update(from: $0, count: count) }
        used += header + count
    }

    func reset() { used = 0 }

    var payload: UnsafeMutablePointer<UInt8> { (storage + lwsPre).assumingMemoryBound(to: UInt8.self) }
}

extension WebSocketServer {
    /// Writes the next queued message of `conn`, together with the small ones queued after it when it is small
    /// itself (see `GatheredFrames`), at most `limit` messages. Returns how many were written, or nil when the write
    /// failed (the connection is to be closed).
    func writeQueuedMessages(_ conn: WebSocketConnection, limit: Int) -> Int? {
        guard let first = conn.outgoing.pop() else { return 0 }
        let gather = gatheredFrames
        guard limit > 1, let next = conn.outgoing.first, gather.fits(first),
              next.count <= GatheredFrames.maxGatheredMessageBytes else {
            let n = first.withPayload { lws_write(conn.wsi, $0, first.count, LWS_WRITE_TEXT) }
            return n < first.count ? nil : 1
        }
        gather.reset()
        gather.append(first)
        var count = 1
        while count < limit, let next = conn.outgoing.first, gather.fits(next) {
            _ = conn.outgoing.pop()
            gather.append(next)
            count += 1
        }
        let n = lws_write(conn.wsi, gather.payload, gather.used, LWS_WRITE_HTTP)  // LWS_WRITE_RAW (a macro Swift cannot import)
        return n < gather.used ? nil : count
    }
}

/// Writing at the end of the turn.
///
/// lws's rule is to write only from `LWS_CALLBACK_SERVER_WRITEABLE`: ask with `lws_callback_on_writable`, write
/// when called. With the libev loop each request is an `epoll_ctl` to watch for writability and another to stop,
/// plus a loop iteration, for every message to every idle connection (4 `epoll_ctl` per chat message measured:
/// the ack and the event). The socket of an idle connection nearly always has room, so the frames queued during
/// one callback are written at its end instead, once per connection (gathered), unless lws still holds part of an
/// earlier write (`lws_partial_buffered`: the socket was full, a slow reader), a ping is due or a close pending:
/// then the connection asks for the writeable callback as before, so the per-connection queue cap and the
/// slow-consumer close keep working. Beyond the queue, lws holds at most what one write left over, as with the
/// writeable callback, whose first write is not checked either. Writing outside the callback is safe for
/// WebSocket over HTTP/1 (this server serves no HTTP/2): lws keeps and sends first whatever a write leaves over.
extension WebSocketServer {
    /// Service thread only. Called at the end of each lws callback and timer: writes the connections that got
    /// their first queued frame meanwhile.
    func flushQueuedWrites() {
        if isTearingDown { return connectionsToFlush.removeAll() }
        guard !isFlushingWrites else { return }
        isFlushingWrites = true
        defer { isFlushingWrites = false }
        while !connectionsToFlush.isEmpty {
            let batch = connectionsToFlush
            connectionsToFlush.removeAll(keepingCapacity: true)
            for conn in batch {
                conn.awaitingFlush = false
                // Closed meanwhile (its wsi is gone) or written by a writeable callback already.
                guard connections[conn.id] === conn, !conn.outgoing.isEmpty else { continue }
                // lws holding part of an earlier write is the sign of a full socket (a slow reader); asking the
                // kernel (lws_send_pipe_choked, a poll() per connection) is not needed: if the socket is full now,
                // lws keeps this one write and the next turn sees it.
                if conn.pingDue || conn.isClosing || lws_partial_buffered(conn.wsi) != 0 {
                    lws_callback_on_writable(conn.wsi)
                    continue
                }
                if !writeQueue(conn) {
                    // Outside its own callback a connection cannot be closed by returning -1: lws closes it soon.
                    conn.outgoing.drop()
                    conn.pendingClose = (1011, "write failed")
                    lws_set_timeout(conn.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
                }
            }
        }
    }

    /// Writes queued frames of `conn`, small ones gathered: while the socket takes them without lws having to buffer
    /// (`lws_send_pipe_choked`), at most `maxFramesPerWriteable`; then asks for the writeable callback if frames or
    /// the close are left, and tells the delegate once the queue drained to its watch. False: the write failed.
    ///
    /// Strict one-frame-per-callback costs a whole poll cycle per message, so a connection fed faster than once
    /// per service turn (an agent receiving from many customers) would grow its queue until the slow-consumer cap
    /// hit even though the peer reads promptly.
    func writeQueue(_ conn: WebSocketConnection) -> Bool {
        var written = 0
        while !conn.outgoing.isEmpty {
            guard let n = writeQueuedMessages(conn, limit: Self.maxFramesPerWriteable - written) else {
                logger.notice("WebSocket write failed", metadata: ["ws.connection": "\(conn.id)"])
                return false
            }
            written += n
            if written >= Self.maxFramesPerWriteable || conn.outgoing.isEmpty || lws_send_pipe_choked(conn.wsi) != 0 {
                break
            }
        }
        if !conn.outgoing.isEmpty || conn.isClosing { lws_callback_on_writable(conn.wsi) }
        if let lowWater = conn.drainWatch, conn.outgoing.byteCount <= lowWater, !conn.isClosing {
            conn.drainWatch = nil
            delegate?.transport(self, didDrain: conn.id)
        }
        return true
    }
}
