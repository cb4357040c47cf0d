import Foundation
import XCTest
import ChatCore
@testable import ChatService
#if canImport(Glibc)
import Glibc
#endif

/// Records requested delays and returns at once; counts `wake()` calls (which `stop()` makes).
final class RecordingSleeper: Sleeper, @unchecked Sendable {
    private let condition = NSCondition()
    private var recorded: [Double] = []
    private var wakes = 0

    var delays: [Double] {
        condition.lock()
        defer { condition.unlock() }
        return recorded
    }

    func sleep(seconds: Double) {
        condition.lock()
        recorded.append(seconds)
        condition.unlock()
    }

    func wake() {
        condition.lock()
        wakes += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits (bounded) for the first `wake()`: the sign that `stop()` has marked the notifier as stopping.
    func waitForWake(timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while wakes == 0 {
            if !condition.wait(until: deadline) { return wakes > 0 }
        }
        return true
    }
}

/// Collects outcomes from the notifier's thread and lets the test wait for them.
final class OutcomeLog: @unchecked Sendable {
    private let condition = NSCondition()
    private var recorded: [(Int64, NotificationOutcome)] = []

    func callback(for ticket: Int64) -> @Sendable (NotificationOutcome) -> Void {
        { [self] outcome in
            condition.lock()
            recorded.append((ticket, outcome))
            condition.broadcast()
            condition.unlock()
        }
    }

    var outcomes: [NotificationOutcome] { all.map(\.1) }

    var all: [(Int64, NotificationOutcome)] {
        condition.lock()
        defer { condition.unlock() }
        return recorded
    }

    /// Waits (bounded, on a condition) until `count` outcomes have arrived.
    @discardableResult
    func waitFor(_ count: Int, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while recorded.count < count {
            if !condition.wait(until: deadline) { return recorded.count >= count }
        }
        return true
    }
}

/// Answers from a script (the last entry repeats) and records what it was asked to send.
final class ScriptedTransport: WebhookTransport, @unchecked Sendable {
    struct Call { var url: String; var headers: [String: String]; var body: [UInt8]; var timeout: Double }
    private let lock = NSLock()
    private let script: [Result<Int, WebhookError>]
    private var recorded: [Call] = []

    init(_ script: [Result<Int, WebhookError>]) { self.script = script }

    var calls: [Call] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func post(url: String, headers: [String: String], body: [UInt8], timeout: Double) -> Result<Int, WebhookError> {
        lock.lock()
        defer { lock.unlock() }
        recorded.append(Call(url: url, headers: headers, body: body, timeout: timeout))
        return script[min(recorded.count - 1, script.count - 1)]
    }
}

/// Blocks each post until the test opens the gate; signals when a post has begun.
final class GatedTransport: WebhookTransport, @unchecked Sendable {
    let entered = DispatchSemaphore(value: 0)
    private let gate = DispatchSemaphore(value: 0)

    func open() { gate.signal() }

    func post(url: String, headers: [String: String], body: [UInt8], timeout: Double) -> Result<Int, WebhookError> {
        entered.signal()
        gate.wait()
        gate.signal() // stays open for any later post
        return .success(200)
    }
}

final class OnCallNotifierTests: XCTestCase {
    let secret = OnCallWebhookTests.secret

    private func config(_ url: String, maxAttempts: Int = 5, timeout: Double = 10,
                        backoff: Double = 2) throws -> OnCallConfig {
        try OnCallConfig(url: url, secret: secret, maxAttempts: maxAttempts, initialBackoffSeconds: backoff,
                         maxBackoffSeconds: max(60, backoff), timeoutSeconds: timeout)
    }

    func testDeliveredOnFirstTryToARealReceiverWithAVerifiableSignature() throws {
        let receiver = try OnCallTestReceiver(statuses: [200])
        defer { receiver.stop() }
        let sleeper = RecordingSleeper()
        let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_060))
        let notifier = OnCallNotifier(config: try config(receiver.url), sleeper: sleeper, clock: clock)
        let log = OutcomeLog()
        notifier.start()
        XCTAssertTrue(notifier.notify(OnCallWebhookTests.notice(ticket: 42), onOutcome: log.callback(for: 42)))
        XCTAssertTrue(log.waitFor(1))
        notifier.stop()

        XCTAssertEqual(log.outcomes, [.delivered(attempt: 1, status: 200)])
        XCTAssertEqual(sleeper.delays, [])
        let request = try XCTUnwrap(receiver.requests.first)
        XCTAssertEqual(receiver.requests.count, 1)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.path, "/hooks/oncall")
        XCTAssertEqual(request.headers["content-type"], "application/json")
        XCTAssertEqual(request.headers["x-chatd-event"], "urgent_ticket")
        XCTAssertEqual(request.headers["x-chatd-delivery"], "42-1")
        XCTAssertEqual(request.headers["x-chatd-timestamp"], "1790000060")

        // The receiver's side of the contract: HMAC over "<timestamp>.<body>".
        let timestamp = try XCTUnwrap(request.headers["x-chatd-timestamp"])
        let expected = "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: secret, message: Array("\(timestamp).".utf8) + request.body))
        XCTAssertEqual(request.headers["x-chatd-signature"], expected)
        XCTAssertTrue(OnCallWebhook.verify(secret: secret, timestampHeader: timestamp,
                                           signatureHeader: try XCTUnwrap(request.headers["x-chatd-signature"]),
                                           body: request.body, now: clock.now()))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        XCTAssertEqual(json["attempt"] as? Int, 1)
        XCTAssertEqual(json["sentAt"] as? String, "2026-09-21T14:14:20.000Z")
        XCTAssertEqual((json["ticket"] as? [String: Any])?["number"] as? Int, 42)
    }

    func testRetriesWithExponentialBackoffThenDelivers() throws {
        let receiver = try OnCallTestReceiver(statuses: [500, 500, 200])
        defer { receiver.stop() }
        let sleeper = RecordingSleeper()
        let notifier = OnCallNotifier(config: try config(receiver.url), sleeper: sleeper)
        let log = OutcomeLog()
        notifier.start()
        notifier.notify(OnCallWebhookTests.notice(ticket: 7), onOutcome: log.callback(for: 7))
        XCTAssertTrue(log.waitFor(3))
        notifier.stop()

        XCTAssertEqual(log.outcomes, [
            .failedAttempt(attempt: 1, detail: "HTTP 500", willRetry: true),
            .failedAttempt(attempt: 2, detail: "HTTP 500", willRetry: true),
            .delivered(attempt: 3, status: 200),
        ])
        XCTAssertEqual(sleeper.delays, [2, 4])
        XCTAssertEqual(receiver.requests.map { $0.headers["x-chatd-delivery"] }, ["7-1", "7-2", "7-3"])
        let attempts = try receiver.requests.map { request -> Int? in
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            return json["attempt"] as? Int
        }
        XCTAssertEqual(attempts, [1, 2, 3])
    }

    func testGivesUpAfterMaxAttemptsWhenTheConnectionIsRefused() throws {
        let refusing = onCallRefusingPort()
        defer { close(refusing.socket) }
        let sleeper = RecordingSleeper()
        let notifier = OnCallNotifier(config: try config("http://127.0.0.1:\(refusing.port)/hook", maxAttempts: 3),
                                      sleeper: sleeper)
        let log = OutcomeLog()
        notifier.start()
        notifier.notify(OnCallWebhookTests.notice(), onOutcome: log.callback(for: 42))
        XCTAssertTrue(log.waitFor(4))
        notifier.stop()

        let outcomes = log.outcomes
        XCTAssertEqual(outcomes.count, 4)
        for (index, outcome) in outcomes.prefix(3).enumerated() {
            guard case .failedAttempt(let attempt, let detail, let willRetry) = outcome else { return XCTFail("\(outcome)") }
            XCTAssertEqual(attempt, index + 1)
            XCTAssertEqual(willRetry, index < 2)
            XCTAssertTrue(detail.contains("connect"), detail)   // libcurl: "Couldn't connect to server"
        }
        guard case .gaveUp(let attempts, let detail) = outcomes[3] else { return XCTFail("\(outcomes[3])") }
        XCTAssertEqual(attempts, 3)
        XCTAssertTrue(detail.contains("connect"), detail)
        XCTAssertEqual(sleeper.delays, [2, 4])
    }

    func testAReceiverThatNeverAnswersCountsAsATimedOutAttempt() throws {
        let receiver = try OnCallTestReceiver(answers: false)
        defer { receiver.stop() }
        let sleeper = RecordingSleeper()
        let notifier = OnCallNotifier(config: try config(receiver.url, maxAttempts: 2, timeout: 0.3), sleeper: sleeper)
        let log = OutcomeLog()
        notifier.start()
        notifier.notify(OnCallWebhookTests.notice(), onOutcome: log.callback(for: 42))
        XCTAssertTrue(log.waitFor(3))
        notifier.stop()

        let outcomes = log.outcomes
        guard outcomes.count == 3,
              case .failedAttempt(1, let first, true) = outcomes[0],
              case .failedAttempt(2, let second, false) = outcomes[1],
              case .gaveUp(2, _) = outcomes[2] else { return XCTFail("\(outcomes)") }
        XCTAssertTrue(first.contains("Timeout"), first)   // libcurl: "Timeout was reached"
        XCTAssertTrue(second.contains("Timeout"), second)
        XCTAssertEqual(receiver.requests.count, 2)
        XCTAssertEqual(sleeper.delays, [2])
    }

    func testQueueFullRefusesAndStopReportsPendingWorkWithoutWaitingForIt() throws {
        let transport = GatedTransport()
        let sleeper = RecordingSleeper()
        let notifier = OnCallNotifier(config: try config("http://127.0.0.1:9/unused"), sleeper: sleeper,
                                      transport: transport, queueCapacity: 2)
        let log = OutcomeLog()
        notifier.start()
        XCTAssertTrue(notifier.notify(OnCallWebhookTests.notice(ticket: 1), onOutcome: log.callback(for: 1)))
        XCTAssertEqual(transport.entered.wait(timeout: .now() + 30), .success) // ticket 1 is in flight
        XCTAssertTrue(notifier.notify(OnCallWebhookTests.notice(ticket: 2), onOutcome: log.callback(for: 2)))
        XCTAssertTrue(notifier.notify(OnCallWebhookTests.notice(ticket: 3), onOutcome: log.callback(for: 3)))
        XCTAssertFalse(notifier.notify(OnCallWebhookTests.notice(ticket: 4), onOutcome: log.callback(for: 4)))

        let stopped = DispatchSemaphore(value: 0)
        Thread { notifier.stop(); stopped.signal() }.start()
        XCTAssertTrue(sleeper.waitForWake())   // stop() has marked the notifier as stopping
        transport.open()                       // only now let the in-flight attempt finish
        XCTAssertEqual(stopped.wait(timeout: .now() + 30), .success)

        let outcomes = log.all
        XCTAssertEqual(outcomes.map(\.0), [1, 2, 3])
        XCTAssertEqual(outcomes.map(\.1), [
            .delivered(attempt: 1, status: 200),
            .gaveUp(attempts: 0, detail: "notifier stopped before the first attempt"),
            .gaveUp(attempts: 0, detail: "notifier stopped before the first attempt"),
        ])
        XCTAssertFalse(notifier.notify(OnCallWebhookTests.notice(ticket: 5), onOutcome: log.callback(for: 5)))
    }

    func testStopOnANotifierNeverStartedReportsItsQueue() throws {
        let transport = ScriptedTransport([.success(200)])
        let notifier = OnCallNotifier(config: try config("http://127.0.0.1:9/"), sleeper: RecordingSleeper(),
                                      transport: transport, queueCapacity: 1)
        let log = OutcomeLog()
        XCTAssertTrue(notifier.notify(OnCallWebhookTests.notice(ticket: 1), onOutcome: log.callback(for: 1)))
        XCTAssertFalse(notifier.notify(OnCallWebhookTests.notice(ticket: 2), onOutcome: log.callback(for: 2)))
        notifier.stop()
        XCTAssertEqual(log.outcomes, [.gaveUp(attempts: 0, detail: "notifier stopped before the first attempt")])
        XCTAssertTrue(transport.calls.isEmpty)
        notifier.start() // after stop: does nothing
        XCTAssertFalse(notifier.notify(OnCallWebhookTests.notice(ticket: 3), onOutcome: log.callback(for: 3)))
    }

    func testStopCutsALongBackoffShortAndReportsTheAbandonedRetry() throws {
        // The real ThreadSleeper with an hour of backoff: stop() must wake it rather than wait.
        let transport = ScriptedTransport([.success(503)])
        let notifier = OnCallNotifier(config: try config("http://127.0.0.1:9/", backoff: 3600),
                                      sleeper: ThreadSleeper(), transport: transport)
        let log = OutcomeLog()
        notifier.start()
        notifier.notify(OnCallWebhookTests.notice(), onOutcome: log.callback(for: 42))
        XCTAssertTrue(log.waitFor(1))

        let stopped = DispatchSemaphore(value: 0)
        Thread { notifier.stop(); stopped.signal() }.start()
        XCTAssertEqual(stopped.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(log.outcomes, [
            .failedAttempt(attempt: 1, detail: "HTTP 503", willRetry: true),
            .gaveUp(attempts: 1, detail: "notifier stopped, retries abandoned; last error: HTTP 503"),
        ])
        XCTAssertEqual(transport.calls.count, 1)
    }

    func testNoticesAreSentInFIFOOrderWithTheConfiguredTimeoutAndURL() throws {
        let transport = ScriptedTransport([.success(204)])
        let notifier = OnCallNotifier(config: try config("http://127.0.0.1:9/hook", timeout: 4),
                                      sleeper: RecordingSleeper(), transport: transport)
        let log = OutcomeLog()
        for ticket in Int64(1)...5 {
            notifier.notify(OnCallWebhookTests.notice(ticket: ticket), onOutcome: log.callback(for: ticket))
        }
        notifier.start()
        XCTAssertTrue(log.waitFor(5))
        notifier.stop()
        XCTAssertEqual(log.all.map(\.0), [1, 2, 3, 4, 5])
        XCTAssertEqual(log.outcomes, Array(repeating: .delivered(attempt: 1, status: 204), count: 5))
        XCTAssertEqual(transport.calls.map { $0.headers["X-Chatd-Delivery"] }, ["1-1", "2-1", "3-1", "4-1", "5-1"])
        XCTAssertEqual(Set(transport.calls.map(\.url)), ["http://127.0.0.1:9/hook"])
        XCTAssertEqual(Set(transport.calls.map(\.timeout)), [4])
    }
}
