import CLibWebSockets

/// Keeps lws's own timeouts on time when lws runs on the libev loop.
///
/// lws 4.1.6's libev glue arms one libev timer for its earliest sul and, when a sooner sul is inserted outside its
/// timer callback, re-arms it without stopping it first, which libev ignores (see `chat_ev_timer` in shim.h). Every
/// `lws_set_timeout` (handshake timeouts, the close grace of ``WebSocketServer/close(_:code:reason:)``) therefore
/// waited for whatever lws had armed before: measured here, a silent TCP connection was dropped after 28.6 s whatever
/// `timeout_secs` said. A sul that re-arms itself from inside its own callback keeps lws's timer at most a second
/// away, so those timeouts fire within about a second of their time. Cost: one wake-up a second. With poll, lws
/// computes its wait from the earliest sul on every turn and needs none of this.
extension WebSocketServer {
    static let lwsHeartbeatMicroseconds: lws_usec_t = 1_000_000

    /// Service thread, at start.
    func startLWSHeartbeat() {
        guard activeEventLoop == .libev, let ctx = context else { return }
        lws_sul_schedule(ctx, 0, chat_lws_timer_sul(lwsHeartbeat), chatTransportTimerFired, Self.lwsHeartbeatMicroseconds)
    }

    /// Service thread, inside lws's timer callback: re-arm (lws then arms its libev timer for at most a second).
    func lwsHeartbeatFired() {
        guard !isTearingDown, let ctx = context else { return }
        lws_sul_schedule(ctx, 0, chat_lws_timer_sul(lwsHeartbeat), chatTransportTimerFired, Self.lwsHeartbeatMicroseconds)
    }
}
