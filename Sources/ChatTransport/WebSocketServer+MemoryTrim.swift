import CLibWebSockets
import Foundation
import Logging

/// Gives the memory of closed connections back after a wave of closes (10,000 silent sockets reaching their hello
/// deadline, a mass reconnect).
///
/// Measured on this server with glibc 2.36: after 10,000 WebSockets closed, the bytes in use returned to their
/// baseline but RSS did not drop, and each further wave of 10,000 grew the heap by ~40 MB (heap size 674 MB after
/// three waves, 2 MB of it in use): the freed per-connection buffers (lws's 64 KB receive buffer among them) stay
/// scattered in malloc's bins unconsolidated. `malloc_trim(0)` consolidates them and returns free pages, after which
/// RSS is back near the baseline and the next wave reuses the memory. It costs milliseconds, so it runs at most every
/// `memoryTrimIntervalSeconds`, only after `memoryTrimAfterCloses` closes, from a timer on the service thread.
extension WebSocketServer {
    static let memoryTrimAfterCloses = 1000
    static let memoryTrimIntervalSeconds = 10.0

    /// Service thread: one more WebSocket closed; arm a trim once enough have.
    func noteClosedForMemoryTrim() {
        closedSinceTrim += 1
        guard closedSinceTrim >= Self.memoryTrimAfterCloses, !memoryTrimArmed, !isStopping, !isTearingDown,
              let ctx = context else { return }
        memoryTrimArmed = true
        // A couple of seconds late on purpose: a wave of closes (all reaching one deadline) is then over.
        let wait = max(2, lastMemoryTrim + Self.memoryTrimIntervalSeconds - Self.monotonicSeconds())
        armTimer(Self.memoryTrimTimerKind, ctx, afterMicroseconds: lws_usec_t(wait * 1_000_000))
    }

    /// Service thread, from the memory trim timer.
    func trimMemory() {
        memoryTrimArmed = false
        let started = Self.monotonicSeconds()
        let released = chat_malloc_trim()
        lastMemoryTrim = Self.monotonicSeconds()
        logger.info("returned freed connection memory to the system", metadata: [
            "transport.closed_since_trim": "\(closedSinceTrim)", "transport.released": "\(released != 0)",
            "transport.trim_ms": "\(Int((lastMemoryTrim - started) * 1000))",
        ])
        closedSinceTrim = 0
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
