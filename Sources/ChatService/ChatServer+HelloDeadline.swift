import ChatCore
import ChatTransport
import Foundation

/// Sockets that never say hello: each new WebSocket must send `hello` within `helloTimeoutSeconds` (real time),
/// or it gets `hello_timeout` and a 4408 close. Deadlines sit in `helloDeadlines` (a FIFO: every connection has
/// the same allowance) and the transport's housekeeping timer is armed for the earliest one. Service thread only.
extension ChatServer {
    /// Closes connections that opened `helloTimeoutSeconds` ago without sending hello (4408 `hello_timeout`).
    /// One whose hello is being checked (waiting for a worker) is left alone: the wait is ours, not theirs.
    public func transportHousekeepingDue(_ t: WebSocketServer) {
        housekeepingArmed = false
        let now = Date()
        for c in helloDeadlines.expired(now: now) {
            guard let link = links[c], link.principal == nil, !link.authenticating else { continue }
            metrics.recordHelloTimeout()
            sendFrame(WireEncoding.error(.helloTimeout, "No hello within \(config.helloTimeoutSeconds) s; reconnect and send hello first."), to: c)
            closeConnection(c, code: 4408, reason: "hello_timeout")
        }
        armHousekeeping(now: now)
    }

    /// Arms the housekeeping timer for the earliest deadline, a little late on purpose: deadlines a tenth of a
    /// second apart are then handled in one wake-up (a burst of new connections would otherwise wake the service
    /// thread once per connection).
    func armHousekeeping(now: Date) {
        guard !housekeepingArmed, let next = helloDeadlines.nextDeadline else { return }
        housekeepingArmed = true
        transport.scheduleHousekeeping(after: next.timeIntervalSince(now) + Self.helloDeadlineSlackSeconds)
    }

    static let helloDeadlineSlackSeconds = 0.1
}
