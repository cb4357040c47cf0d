import Foundation
import Logging

/// Pub/sub between cluster nodes over Redis: `publish` queues messages for Redis channels, and every message on
/// the `subscriptions` channels (from any node, this one included) is handed to `onMessage`.
///
/// Threading contract:
/// - `start`, `stop` are called by the owner (once each, in that order). `publish` may be called from any thread,
///   any number of threads at once; it never blocks on the network (one brief lock).
/// - Two threads of its own, each with its own synchronous hiredis connection (`RedisConnection`, confined to it):
///   the publisher thread drains the queue and pipelines `PUBLISH` commands (all queued commands written, then one
///   reply read for each); the subscriber thread holds `SUBSCRIBE` and reads with a 200 ms timeout so that it sees
///   `stop` promptly.
/// - `onMessage` and `onConnectionChange` run on the subscriber thread, one at a time, in the order Redis delivered.
///   They must not block (post to a mailbox): while they run, nothing else is read.
/// - After `stop()` returns, neither callback runs again.
///
/// Delivery: Redis pub/sub is at-most-once towards subscribers. While the subscriber is disconnected, messages
/// published by any node are lost for this node; `onConnectionChange(false)` says so and `onConnectionChange(true)`
/// comes once the subscription is back, so the cluster layer can catch up from PostgreSQL. The publisher keeps
/// per-publisher order: a batch whose replies were not all read is sent again (from the first unconfirmed
/// message) after reconnecting, so a message may arrive twice (receivers drop duplicates by seq), never reordered.
/// The queue is bounded in bytes (payload + channel name; messages in flight count until Redis confirmed them);
/// when it is full `publish` refuses and queues nothing. While Redis is away the publisher keeps its batch and
/// retries with backoff, so the queue fills and `publish` starts refusing: the caller decides what a refused
/// message means (the cluster layer: followers catch up from PostgreSQL).
///
/// `@unchecked Sendable`: the queue, the flags and the counters are guarded by `condition`; each connection and
/// the reconnect backoff belong to one thread; the configuration is immutable.
final class RedisBus: @unchecked Sendable {
    struct Message {
        var channel: String
        var payload: [UInt8]
    }

    /// Counters for metrics and tests.
    struct Statistics: Sendable, Equatable {
        var published = 0
        var refused = 0
        var received = 0
        var publisherReconnects = 0
        var subscriberReconnects = 0
        var queuedBytes = 0
    }

    private let endpoint: RedisEndpoint?
    private let url: String
    private let subscriptions: [String]
    private let maxQueuedBytes: Int
    private let logger: Logger
    private let onMessage: @Sendable (String, [UInt8]) -> Void
    private let onConnectionChange: @Sendable (Bool) -> Void
    /// Read/write timeout of both connections: the subscriber's wake-up period, and how long a stalled Redis may
    /// hold the publisher before it reconnects.
    private let subscriberTimeoutMilliseconds = 200
    private let publisherTimeoutMilliseconds = 2_000
    /// Idle subscriber connections are probed with PING this often, and dropped when nothing came back for
    /// `deadAfterSeconds` (a Redis host that vanished without closing the socket).
    private let pingAfterSeconds = 1.0
    private let deadAfterSeconds = 3.0

    private let condition = NSCondition()
    private var queue: [Message] = []
    private var queuedBytes = 0
    private var stopping = false
    private var started = false
    private var runningThreads = 0
    private var subscriberConnected = false
    private var statistics = Statistics()

    init(url: String, subscriptions: [String], maxQueuedBytes: Int = 64 << 20, logger: Logger,
         onMessage: @escaping @Sendable (_ channel: String, _ payload: [UInt8]) -> Void,
         onConnectionChange: @escaping @Sendable (_ connected: Bool) -> Void) {
        self.url = url
        self.endpoint = RedisEndpoint(url: url)
        self.subscriptions = subscriptions
        self.maxQueuedBytes = maxQueuedBytes
        self.logger = logger
        self.onMessage = onMessage
        self.onConnectionChange = onConnectionChange
    }

    /// Starts the publisher and subscriber threads. They connect (and keep reconnecting) in the background.
    func start() {
        condition.withLock {
            precondition(!started, "RedisBus.start called twice")
            started = true
            runningThreads = 2
        }
        if endpoint == nil { logger.error("cluster.bus: not a redis://host:port URL", metadata: ["bus.url": "\(url)"]) }
        let publisher = Thread { [self] in
            runPublisher()
            threadEnded()
        }
        publisher.name = "chatd-bus-publish"
        publisher.start()
        let subscriber = Thread { [self] in
            runSubscriber()
            threadEnded()
        }
        subscriber.name = "chatd-bus-subscribe"
        subscriber.start()
    }

    /// Never blocks (a brief lock): queues the message for the publisher thread. False (nothing queued) when the
    /// queue is full or the bus stopped.
    func publish(_ channel: String, _ payload: [UInt8]) -> Bool {
        publish([(channel: channel, payload: payload)])
    }

    /// Publishes several messages in one go (one lock, pipelined by the publisher thread): all are queued, in
    /// order, or none.
    func publish(_ messages: [(channel: String, payload: [UInt8])]) -> Bool {
        let bytes = messages.reduce(0) { $0 + $1.payload.count + $1.channel.utf8.count }
        return condition.withLock {
            guard !stopping, queuedBytes + bytes <= maxQueuedBytes else {
                statistics.refused += messages.count
                return false
            }
            let wasEmpty = queue.isEmpty
            for message in messages { queue.append(Message(channel: message.channel, payload: message.payload)) }
            queuedBytes += bytes
            if wasEmpty { condition.broadcast() }
            return true
        }
    }

    /// Whether the subscription is live (messages published now will reach this node).
    var isConnected: Bool { condition.withLock { subscriberConnected } }

    var currentStatistics: Statistics {
        condition.withLock {
            var copy = statistics
            copy.queuedBytes = queuedBytes
            return copy
        }
    }

    /// Stops both threads and waits for them (blocking: at most about one timeout). What the publisher holds
    /// when stopping is still sent if it is connected; otherwise it is dropped. Idempotent.
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while runningThreads > 0 { condition.wait() }
        }
    }

    private func threadEnded() {
        condition.withLock {
            runningThreads -= 1
            condition.broadcast()
        }
    }

    // MARK: - Publisher thread

    private func runPublisher() {
        var connection: RedisConnection?
        var backoff = ReconnectBackoff()
        while true {
            // Take everything queued (an O(1) swap); the bytes stay counted until confirmed.
            var batch: [Message] = condition.withLock {
                while queue.isEmpty && !stopping { condition.wait() }
                let taken = queue
                queue = []
                return taken
            }
            if batch.isEmpty { return }  // stopping with nothing left
            while !batch.isEmpty {
                if connection == nil {
                    if isStopping {  // not connected at stop: what is left is dropped
                        logger.warning("cluster.bus: stopped with unsent messages", metadata: ["bus.dropped": "\(batch.count)"])
                        release(batch.reduce(0) { $0 + $1.payload.count + $1.channel.utf8.count })
                        return
                    }
                    connection = connect(timeoutMilliseconds: publisherTimeoutMilliseconds, role: "publisher", backoff: &backoff)
                    if connection != nil { condition.withLock { statistics.publisherReconnects += 1 } }
                    continue
                }
                let confirmed = send(batch, on: connection!)
                if confirmed > 0 {
                    release(batch[..<confirmed].reduce(0) { $0 + $1.payload.count + $1.channel.utf8.count },
                            published: confirmed)
                    batch.removeFirst(confirmed)
                }
                if !batch.isEmpty { connection = nil }  // failed part way: reconnect and resend the rest
            }
        }
    }

    /// Pipelines PUBLISH for the batch; returns how many replies were read (a prefix of the batch). An error
    /// reply counts as read: Redis got the command, resending would not help.
    private func send(_ batch: [Message], on connection: RedisConnection) -> Int {
        let command: [UInt8] = Array("PUBLISH".utf8)
        for message in batch { connection.append([command, Array(message.channel.utf8), message.payload]) }
        for index in batch.indices {
            switch connection.read() {
            case .reply(.error(let message)):
                logger.error("cluster.bus: PUBLISH refused", metadata: ["bus.error": "\(message)"])
            case .reply:
                break
            case .timedOut:
                logger.warning("cluster.bus: publisher timed out; reconnecting")
                return index
            case .failed(let message):
                logger.warning("cluster.bus: publisher connection lost", metadata: ["bus.error": "\(message)"])
                return index
            }
        }
        return batch.count
    }

    private func release(_ bytes: Int, published: Int = 0) {
        condition.withLock {
            queuedBytes -= bytes
            statistics.published += published
        }
    }

    // MARK: - Subscriber thread

    private func runSubscriber() {
        var backoff = ReconnectBackoff()
        while !isStopping {
            guard let connection = connect(timeoutMilliseconds: subscriberTimeoutMilliseconds, role: "subscriber",
                                           backoff: &backoff) else { continue }
            subscribe(on: connection)
            // `subscriberConnected` is written only on this thread, so reading it here without the lock is safe.
            if subscriberConnected { setSubscriberConnected(false) }
        }
    }

    /// Subscribes and reads messages until the connection fails or the bus stops.
    private func subscribe(on connection: RedisConnection) {
        let channels = subscriptions.map { Array($0.utf8) }
        if !channels.isEmpty { connection.append([Array("SUBSCRIBE".utf8)] + channels) }
        var pending = Set(subscriptions)
        if pending.isEmpty { setSubscriberConnected(true) }
        var lastHeard = Date()
        var pingSent = false
        while !isStopping {
            switch connection.read() {
            case .timedOut:
                let idle = Date().timeIntervalSince(lastHeard)
                if idle > deadAfterSeconds {
                    logger.warning("cluster.bus: subscriber heard nothing; reconnecting")
                    return
                }
                if idle > pingAfterSeconds && !pingSent {
                    connection.append([Array("PING".utf8)])
                    pingSent = true
                }
            case .failed(let message):
                logger.warning("cluster.bus: subscriber connection lost", metadata: ["bus.error": "\(message)"])
                return
            case .reply(let value):
                lastHeard = Date()
                pingSent = false
                guard case .array(let parts) = value, let kind = parts.first?.text?.lowercased() else {
                    if case .error(let message) = value {
                        logger.error("cluster.bus: SUBSCRIBE refused", metadata: ["bus.error": "\(message)"])
                        return
                    }
                    continue
                }
                switch kind {
                case "message" where parts.count == 3:
                    guard let channel = parts[1].text, case .bytes(let payload) = parts[2] else { continue }
                    condition.withLock { statistics.received += 1 }
                    onMessage(channel, payload)
                case "subscribe" where parts.count >= 2:
                    if let channel = parts[1].text { pending.remove(channel) }
                    if pending.isEmpty && !subscriberConnected {
                        condition.withLock { statistics.subscriberReconnects += 1 }
                        setSubscriberConnected(true)
                    }
                default:
                    break  // "pong" and anything else: only proof of life
                }
            }
        }
    }

    private func setSubscriberConnected(_ connected: Bool) {
        condition.withLock { subscriberConnected = connected }
        if connected {
            logger.info("cluster.bus: subscribed", metadata: ["bus.channels": "\(subscriptions.count)"])
        } else {
            logger.warning("cluster.bus: subscription lost; messages are missed until it is back")
        }
        onConnectionChange(connected)
    }

    // MARK: - Shared

    private var isStopping: Bool { condition.withLock { stopping } }

    /// One connection attempt after the backoff delay; nil if it failed or the bus is stopping.
    private func connect(timeoutMilliseconds: Int, role: String, backoff: inout ReconnectBackoff) -> RedisConnection? {
        if let delay = backoff.nextDelay() {
            let stopped: Bool = condition.withLock {
                let until = Date().addingTimeInterval(delay)
                while !stopping && Date() < until { _ = condition.wait(until: until) }
                return stopping
            }
            if stopped { return nil }
        }
        guard let endpoint else { return nil }
        do {
            let connection = try RedisConnection(endpoint: endpoint, timeoutMilliseconds: timeoutMilliseconds)
            backoff.reset()
            return connection
        } catch {
            if backoff.failures % 20 == 0 {
                logger.warning("cluster.bus: \(role) cannot connect", metadata: [
                    "bus.error": "\(error)", "bus.failures": "\(backoff.failures)",
                ])
            }
            return nil
        }
    }
}

/// Reconnect delays: none for the first attempt, then 50 ms doubling up to 2 s.
struct ReconnectBackoff {
    private(set) var failures = 0
    private var attempted = false

    /// The delay before the next attempt (nil: go at once), counting the attempt.
    mutating func nextDelay() -> Double? {
        defer { attempted = true }
        guard attempted else { return nil }
        failures += 1
        return min(2.0, 0.05 * pow(2.0, Double(min(failures - 1, 6))))
    }

    mutating func reset() {
        failures = 0
        attempted = false
    }
}
extension RedisBus: ClusterBus {}
