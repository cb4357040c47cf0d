import ChatCore
import ChatStorage
import ChatTransport
import Foundation
import Logging

/// The chat server: wires the transport's events into the engine and carries out the engine's effects.
///
/// Threading: `start()` and `run()` are called on one dedicated thread, which becomes the lws service thread.
/// Every mutable property below is touched only on that thread: transport callbacks arrive there, and the
/// writer thread and the blocking workers hand results back through `mailbox`, which runs them there.
/// That confinement is why the class is `@unchecked Sendable`: closures that cross threads capture it only
/// to post work back to the service thread. `requestStop()` is safe from any thread.
public final class ChatServer: @unchecked Sendable {
    public let config: ServerConfig
    let logger: Logger
    let clock: any WallClock
    let store: ChatStore
    let engine: ChatEngine
    let transport: WebSocketServer
    let mailbox: ServiceMailbox
    let workers: BlockingWorkers
    var writer: GroupCommitWriter!
    let customerTokens: CustomerTokenVerifier
    let passwords: PasswordHasher
    let metrics = ServiceMetrics()
    /// Support calendars by region, for first-response due times.
    let calendars: [String: SupportCalendar]
    /// Alerts on-call staff about urgent tickets outside hours; nil when no webhook is configured.
    let onCall: OnCallNotifier?

    /// Per-connection state of the service layer (authentication, rate limit). Service thread only.
    var links: [ConnectionID: ConnectionLink] = [:]
    /// Writes the writer could not take (its queue was full); retried after each commit. Service thread only.
    var deferredWrites: [StorageWrite] = []
    var armedDeadline: Date?
    private(set) public var port: Int = 0

    /// Opens the database, recovers open sessions and prepares the transport. Blocking; call before `start()`.
    public init(config: ServerConfig, policy: SupportPolicy, clock: any WallClock = SystemClock(), logger: Logger) throws {
        self.config = config
        self.logger = logger
        self.clock = clock
        let secret = try DeploymentSecret.load(dataDirectory: config.dataDirectory)
        customerTokens = CustomerTokenVerifier(secret: secret, leewaySeconds: config.tokenLeewaySeconds)
        passwords = PasswordHasher(iterations: config.passwordIterations)
        store = try ChatStore(path: ChatServer.databasePath(dataDirectory: config.dataDirectory),
                              durability: config.durability == .full ? .full : .normal)
        let engineConfig = config.engineConfig()
        let recovered = try store.recoverState(tailSize: engineConfig.tailSize)
        engine = ChatEngine(policy: policy, config: engineConfig, clock: clock, recovered: recovered)
        calendars = Dictionary(uniqueKeysWithValues: policy.regions.compactMap { region in
            (try? SupportCalendar(region: region)).map { (region.id, $0) }
        })
        onCall = try ChatServer.makeOnCallNotifier(config)
        transport = WebSocketServer(config: TransportConfig(
            host: config.host, port: config.port, staticRoot: config.webRoot,
            staticHeaderRules: WebClientHeaders.rules(widgetFrameAncestors: config.widgetFrameAncestors),
            maxFrameBytes: config.maxFrameBytes, maxQueuedBytesPerConnection: config.maxQueuedBytesPerConnection,
            maxHTTPBodyBytes: config.maxHTTPBodyBytes), logger: logger)
        mailbox = ServiceMailbox(wake: { [transport] in transport.wake() })  // wake() is safe from any thread
        workers = BlockingWorkers(count: 3, capacity: 10_000)
        writer = GroupCommitWriter(
            store: store, capacity: config.writerCapacity, lingerSeconds: config.commitLingerMillis / 1000,
            onCommit: { [unowned self] receipt in
                self.mailbox.post { self.commitArrived(receipt) }
            },
            onFailure: { [logger] failure in
                logger.critical("storage write failed", metadata: ["storage.error": "\(failure.message)"])
            })
        transport.delegate = self
        logger.info("recovered open sessions", metadata: [
            "chat.open": "\(recovered.openSessions.count)", "chat.next_session": "\(recovered.nextSessionID)"])
    }

    /// The on-call notifier for the configured webhook, or nil when none is configured.
    static func makeOnCallNotifier(_ config: ServerConfig,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) throws -> OnCallNotifier? {
        guard let url = config.onCallWebhookURL, !url.isEmpty else { return nil }
        guard let secret = environment["CHATD_ONCALL_SECRET"] ?? config.onCallWebhookSecret, secret.utf8.count >= 16 else {
            throw ConfigurationError("onCallWebhookSecret (or CHATD_ONCALL_SECRET) of at least 16 bytes is required with onCallWebhookURL")
        }
        return OnCallNotifier(config: try OnCallConfig(url: url, secret: Array(secret.utf8), maxAttempts: config.onCallMaxAttempts,
                                                   initialBackoffSeconds: config.onCallInitialBackoffSeconds))
    }

    /// The database file inside a data directory.
    public static func databasePath(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("chat.sqlite")
    }

    /// Binds the listening socket and starts the writer and workers. Returns the bound port.
    /// Call on the thread that will call `run()`.
    @discardableResult
    public func start() throws -> Int {
        writer.start()
        workers.start()
        onCall?.start()
        port = try transport.start()
        rearmTimer()
        return port
    }

    /// Serves until `requestStop()`; then flushes the writer. Blocks the calling (service) thread.
    public func run() {
        transport.run()
        writer.stop()
        workers.stop()
        onCall?.stop()
        logger.info("stopped; every acknowledged write is on disk")
    }

    /// Any thread: stop accepting, close WebSockets with 1001, let `run()` flush and return.
    public func requestStop() {
        transport.requestStop(closeCode: 1001)
    }

    // MARK: Effects (service thread only)

    /// Carries out what the engine decided, in order.
    func apply(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case let .send(connections, message):
                let frame = WireEncoding.encode(message)
                for connection in connections { _ = transport.send(frame, to: connection) }
            case .persist(let writes):
                persist(writes)
            case let .loadHistory(connection, sessionID, afterSeq):
                loadHistory(connection, sessionID: sessionID, afterSeq: afterSeq)
            case let .close(connection, code, reason):
                transport.close(connection, code: code, reason: reason)
            case .createTicket(let request):
                createRequestedTicket(request)
            }
        }
        rearmTimer()
    }

    private func persist(_ writes: [StorageWrite]) {
        if !deferredWrites.isEmpty || !writer.submit(writes) {
            // Never drop a write: keep order and retry when the writer reports progress.
            deferredWrites.append(contentsOf: writes)
            logger.warning("writer queue full; writes deferred", metadata: ["storage.deferred": "\(deferredWrites.count)"])
        }
    }

    private func commitArrived(_ receipt: CommitReceipt) {
        metrics.recordCommit(receipt)
        if !deferredWrites.isEmpty, writer.submit(deferredWrites) { deferredWrites = [] }
        apply(engine.committed(receipt))
    }

    private func loadHistory(_ connection: ConnectionID, sessionID: SessionID, afterSeq: Seq) {
        let store = self.store
        let accepted = workers.submit { [unowned self] in
            let record = try? store.session(id: sessionID)
            let events = record == nil ? [] : ((try? store.events(sessionID: sessionID, afterSeq: afterSeq, limit: 1_000_000)) ?? [])
            self.mailbox.post {
                self.apply(self.engine.historyLoaded(connection, sessionID: sessionID, afterSeq: afterSeq,
                                                     record: record, events: events))
            }
        }
        if !accepted {
            // The client resumes after reconnecting; better than a subscription that never catches up.
            transport.close(connection, code: 1013, reason: "server_busy")
        }
    }

    func rearmTimer() {
        let deadline = engine.nextDeadline
        guard deadline != armedDeadline else { return }
        armedDeadline = deadline
        if let deadline {
            let seconds = deadline.timeIntervalSince(clock.now()) / max(config.clockSpeed, 0.000_001)
            transport.scheduleTimer(after: max(0.001, seconds))
        }
    }
}

/// Per-connection state kept by the service layer.
struct ConnectionLink {
    var principal: Principal?
    var authenticating = false
    var bucket: TokenBucket
    /// For staff: the hash of the session token used, so logout can close the connection.
    var staffTokenHash: String?
}
