import ChatCore
import ChatStorage
import Foundation
import Logging

/// Feeds the notifier from the SQLite outbox: every pending alert is handed to the notifier (whose own queue is
/// small and bounded); one that does not fit stays pending and is handed over on a later pass, so no alert is ever
/// dropped, and pending alerts survive a restart (they are sent again after one: the webhook names the ticket, so a
/// receiver can tell a repeat). Outcomes go into the ticket's history; a delivered or given-up alert leaves the
/// outbox.
///
/// Threading: one dedicated thread polls the outbox (at once after `poke()`, else every `pollSeconds`); the
/// notifier's callbacks run on its own thread. `@unchecked Sendable`: the mutable state is guarded by `condition`.
final class OnCallOutbox: @unchecked Sendable {
    private let store: any StorageBackend
    private let notifier: OnCallNotifier
    private let clock: any WallClock
    private let logger: Logger
    private let pollSeconds: Double

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var inFlight: Set<Int64> = []
    private var poked = false
    private var stopping = false
    /// Webhook outcomes so far, by kind (`delivered`, `failed_attempt`, `gave_up`), for `/metrics`. Guarded by
    /// `condition`.
    private var outcomes: [String: Int] = [:]

    /// Webhook outcomes so far, by kind. Any thread.
    func outcomeCounts() -> [String: Int] {
        condition.withLock { outcomes }
    }
    private var finished = false
    private var thread: Thread?

    init(store: any StorageBackend, notifier: OnCallNotifier, clock: any WallClock, logger: Logger, pollSeconds: Double = 1) {
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.logger = logger
        self.pollSeconds = pollSeconds
    }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "chatd.oncall.outbox"
        condition.lock()
        self.thread = thread
        condition.unlock()
        thread.start()
    }

    /// Any thread: something was queued; look now.
    func poke() {
        condition.lock()
        poked = true
        condition.signal()
        condition.unlock()
    }

    /// Blocking: ends the polling thread (alerts still pending stay in the outbox for the next start).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        let started = thread != nil
        while started && !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            if stopping { break }
            let busy = inFlight
            condition.unlock()
            handOver(excluding: busy)
            condition.lock()
            if !poked && !stopping { _ = condition.wait(until: Date().addingTimeInterval(pollSeconds)) }
            poked = false
            condition.unlock()
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func handOver(excluding busy: Set<Int64>) {
        let pending: [OnCallAlert]
        do {
            pending = try store.pendingOnCallAlerts(limit: 64)
        } catch {
            return logger.error("could not read the on-call outbox", metadata: ["storage.error": "\(error)"])
        }
        for alert in pending where !busy.contains(alert.id) {
            condition.lock()
            inFlight.insert(alert.id)
            condition.unlock()
            let accepted = notifier.notify(alert.notice) { [self] outcome in self.record(outcome, of: alert) }
            if !accepted {
                // The notifier's queue is full: it stays pending for a later pass.
                condition.lock()
                inFlight.remove(alert.id)
                condition.unlock()
                return
            }
        }
    }

    private func record(_ outcome: NotificationOutcome, of alert: OnCallAlert) {
        let (kind, text) = OnCallHistory.describe(outcome)
        let name: String
        switch outcome {
        case .delivered: name = "delivered"
        case .failedAttempt: name = "failed_attempt"
        case .gaveUp: name = "gave_up"
        }
        condition.withLock { outcomes[name, default: 0] += 1 }
        do {
            try store.appendTicketHistory(number: alert.notice.ticketNumber, kind: kind, text: text, actor: .system, at: clock.now())
            condition.lock()
            let shuttingDown = stopping
            condition.unlock()
            switch outcome {
            case .delivered: try store.finishOnCallAlert(id: alert.id, delivered: true)
            // Abandoned because the server stops: it stays pending and is sent again after the restart.
            case .gaveUp where shuttingDown: break
            case .gaveUp: try store.finishOnCallAlert(id: alert.id, delivered: false)
            case .failedAttempt: return
            }
        } catch {
            logger.error("could not record an on-call outcome", metadata: ["ticket.number": "\(alert.notice.ticketNumber)"])
        }
        condition.lock()
        inFlight.remove(alert.id)
        condition.unlock()
    }
}
