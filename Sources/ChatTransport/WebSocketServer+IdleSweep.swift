import CLibWebSockets
import Logging

/// Idle WebSockets are pinged, dead ones dropped: a connection from which nothing has arrived for
/// `idlePingSeconds` gets a ping; one silent (not even a pong) for `idleTimeoutSeconds` is dropped at once, without
/// a close handshake (the peer is presumed gone, or too broken to answer).
///
/// Why not lws's own `retry_and_idle_policy` (lws 4.1 validity timers): measured here on the libev loop, its timers
/// fired late, sometimes by more than 10 s, because lws's libev glue does not re-arm its timer for an earlier
/// deadline inserted outside a timer callback (see `chat_ev_timer` in shim.h). This sweep runs on the transport's own
/// timer: O(connections) every `min(ping, timeout - ping) / 2` seconds (~15 s by default), plus one clock read per
/// received frame.
extension WebSocketServer {
    var idleSweepInterval: Double {
        let ping = Double(config.idlePingSeconds)
        let hangup = Double(config.idleTimeoutSeconds)
        return max(0.25, min(ping, hangup - ping) / 2)
    }

    /// Service thread: arms the sweep if it is not (a connection opened).
    func armIdleSweep() {
        guard !idleSweepArmed, !isStopping, !isTearingDown, let ctx = context else { return }
        idleSweepArmed = true
        armTimer(Self.idleSweepTimerKind, ctx, afterMicroseconds: lws_usec_t(idleSweepInterval * 1_000_000))
    }

    /// Service thread, from the idle sweep timer.
    func sweepIdleConnections() {
        let now = Self.monotonicSeconds()
        var dead: [WebSocketConnection] = []
        for conn in connections.values where conn.admitted {
            let silent = now - conn.lastHeard
            if silent >= Double(config.idleTimeoutSeconds) {
                dead.append(conn)
            } else if silent >= Double(config.idlePingSeconds), conn.pingedAt == nil, !conn.isClosing {
                conn.pingedAt = now
                conn.pingDue = true
                lws_callback_on_writable(conn.wsi)
            }
        }
        // Collected first: a synchronous kill runs the CLOSED callback, which edits `connections`.
        for conn in dead {
            logger.notice("dropping dead WebSocket", metadata: [
                "ws.connection": "\(conn.id)", "ws.silent_seconds": "\(Int(now - conn.lastHeard))",
            ])
            lws_set_timeout(conn.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC)
        }
        if !connections.isEmpty { armIdleSweep() }
    }

    /// A PING frame (the peer's PONG refreshes `lastHeard`). Returns 0, or -1 if the write failed.
    /// Not empty: lws 4.1 does not pass an empty PONG to the protocol callback, so it would go unnoticed.
    func writePing(_ conn: WebSocketConnection) -> Int32 {
        let payload = Array("idle".utf8)
        var buffer = [UInt8](repeating: 0, count: lwsPre + payload.count)
        buffer.replaceSubrange(lwsPre..., with: payload)
        let n = buffer.withUnsafeMutableBufferPointer { b in
            lws_write(conn.wsi, b.baseAddress! + lwsPre, payload.count, LWS_WRITE_PING)
        }
        return n < payload.count ? -1 : 0
    }
}
