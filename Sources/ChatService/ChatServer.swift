import ChatCore
import ChatStorage
import ChatTransport
import Foundation
import Logging

/// The chat server: wires the transport's events into the engine and carries out the engine's effects.
///
/// Threading: `start()` and `run()` are called on one dedicated thread, which becomes the lws service thread.
/// Every mutable property below is touched only on that thread: transport callbacks arrive there, and the
/// writer thread, the blocking workers, the password-check threads and the revocation watcher hand results back
/// through `mailbox`, which runs them there.
/// That confinement is why the class is `@unchecked Sendable`: closures that cross threads capture it only
/// to post work back to the service thread. `requestStop()` is safe from any thread.
public final class ChatServer: @unchecked Sendable {
    public let config: ServerConfig
    let logger: Logger
    let clock: any WallClock
    let store: any StorageBackend
    let engine: ChatEngine
    let transport: WebSocketServer
    let mailbox: ServiceMailbox
    let workers: BlockingWorkers
    var writer: (any EventWriter)!
    let customerTokens: CustomerTokenVerifier
    let passwords: PasswordHasher
    /// Password checks for logins, on threads of their own (see `ChatServer+Login.swift`).
    let passwordChecks: PasswordCheckQueue
    /// Checked instead of a real hash for unknown usernames (same cost as a wrong password).
    let unknownAccountHash: String
    /// Watches the revocation log written by `chatd admin` (another process).
    let revocations: RevocationWatcher
    let retention: RetentionSweeper
    let searchIndexer: SearchIndexer
    let metrics = ServiceMetrics()
    /// Support calendars by region, for first-response due times.
    let calendars: [String: SupportCalendar]
    /// Alerts on-call staff about urgent tickets outside hours; nil when no webhook is configured.
    let onCall: OnCallNotifier?
    /// Hands queued on-call alerts from SQLite to `onCall` (nil when no webhook is configured).
    let onCallOutbox: OnCallOutbox?

    /// Per-connection state of the service layer (authentication, rate limit). Service thread only.
    var links: [ConnectionID: ConnectionLink] = [:]
    /// Writes the writer could not take (its queue was full); retried after each commit. Service thread only.
    var deferredWrites: [StorageWrite] = []
    var armedDeadline: Date?
    /// Limits per principal across connections (service thread only): frames, chat requests, tickets.
    /// Stored, not `lazy`: a lazy property is mutated through get-then-set, which copied the whole dictionary of
    /// buckets on every frame (measured: 2-3% of chatd's CPU at 6,000 msgs/s with 400 principals).
    var messageLimits: KeyedRateLimiter<PrincipalKey>
    var chatRequestLimits: KeyedRateLimiter<PrincipalKey>
    var ticketLimits: KeyedRateLimiter<String>
    /// Parts of long streams (replay pages, session lists) waiting for their connection to drain. Service thread only.
    var parkedStreams: [ConnectionID: [ParkedStreamPart]] = [:]
    /// Streamed HTTP bodies being produced a page at a time on the workers, by request id
    /// (`ChatServer+BodyStreams.swift`). Service thread only.
    var bodyStreams: [UInt64: PagedBody] = [:]
    /// Uploads between their head and their answer, by request id (`ChatServer+Attachments.swift`). Service thread only.
    var uploads: [UInt64: PendingUpload] = [:]
    /// Writes, hashes and moves uploaded files: ONE thread, so the chunks of an upload stay in order.
    let attachmentWriter = BlockingWorkers(count: 1, capacity: 100_000, name: "chatd.attachments")
    /// Files adopted by uploads not settled yet. Attachment writer thread only.
    let adoptedFiles = AdoptedFiles()
    /// Login attempts per address and username. Service thread only.
    var loginThrottle: LoginThrottle
    /// Logins whose password check is queued or running, by HTTP request id. Service thread only.
    var pendingLogins: Set<UInt64> = []
    /// Connections that have not sent hello yet, in opening order (deadlines are opening time + a constant).
    /// Service thread only.
    var helloDeadlines = HelloDeadlines()
    /// Whether the transport's housekeeping timer is armed for `helloDeadlines`. Service thread only.
    var housekeepingArmed = false
    private(set) public var port: Int = 0
    /// Cluster mode: this node's role and bus state (nil: standalone). Service thread only.
    let clusterNode: ClusterNode?
    let busFactory: ClusterBusFactory?
    /// Posts `clusterTick` every `cluster.heartbeatSeconds`.
    let clusterHeartbeat: IntervalThread

    /// Opens the database, recovers open sessions and prepares the transport. Blocking; call before `start()`.
    /// - Parameters:
    ///   - role: in cluster mode (`config.cluster`), whether this node holds the engine lease (`.leader`) or relays
    ///     to the node that does (`.relay`); `.standalone` otherwise.
    ///   - busFactory: makes the cluster bus (cluster mode only).
    public init(config: ServerConfig, policy: SupportPolicy, clock: any WallClock = SystemClock(), logger: Logger,
                role: NodeRole = .standalone, busFactory: ClusterBusFactory? = nil) throws {
        self.config = config
        self.busFactory = busFactory
        messageLimits = KeyedRateLimiter(ratePerSecond: config.messagesPerSecond, burst: config.messageBurst)
        chatRequestLimits = KeyedRateLimiter(ratePerSecond: config.chatRequestsPerHour / 3600, burst: config.chatRequestBurst)
        ticketLimits = KeyedRateLimiter(ratePerSecond: config.ticketsPerOrganizationPerHour / 3600, burst: config.ticketBurst)
        clusterNode = config.cluster.flatMap { role == .standalone ? nil : ClusterNode(settings: $0, role: role) }
        clusterHeartbeat = IntervalThread(name: "chatd.cluster", intervalSeconds: config.cluster?.heartbeatSeconds ?? 1)
        self.logger = logger
        self.clock = clock
        let secret = try DeploymentSecret.load(dataDirectory: config.dataDirectory)
        customerTokens = CustomerTokenVerifier(secret: secret, leewaySeconds: config.tokenLeewaySeconds,
                                               maxLifetimeSeconds: config.customerTokenMaxLifetimeSeconds)
        passwords = PasswordHasher(iterations: config.passwordIterations)
        unknownAccountHash = passwords.unknownAccountHash()
        passwordChecks = PasswordCheckQueue(workers: config.loginWorkers, capacity: config.loginQueueCapacity)
        loginThrottle = LoginThrottle(attemptsPerAddress: config.loginAttemptsPerAddress,
                                      attemptsPerUsername: config.loginAttemptsPerUsername,
                                      windowSeconds: config.loginThrottleWindowSeconds,
                                      maxEntries: config.loginThrottleMaxEntries)
        store = try config.openStorage()
        let engineConfig = config.engineConfig()
        if case .leader(let generation) = role, let cluster = config.cluster {
            // Fencing: from now on every commit of chat traffic checks that this node still holds the lease.
            try ChatServer.fenceWrites(store, cluster: cluster, generation: generation, logger: logger)
        }
        // A relay runs no chats: the leader's engine does; its own engine only answers policy questions.
        let recovered = role == .relay ? RecoveredState.empty : try store.recoverState(tailSize: engineConfig.tailSize)
        engine = ChatEngine(policy: policy, config: engineConfig, clock: clock, recovered: recovered)
        calendars = Dictionary(uniqueKeysWithValues: policy.regions.compactMap { region in
            (try? SupportCalendar(region: region)).map { (region.id, $0) }
        })
        let notifier = try ChatServer.makeOnCallNotifier(config)
        onCall = notifier
        onCallOutbox = notifier.map { [store] in OnCallOutbox(store: store, notifier: $0, clock: clock, logger: logger) }
        transport = WebSocketServer(config: TransportConfig(
            host: config.host, port: config.port, staticRoot: config.webRoot,
            staticHeaderRules: WebClientHeaders.rules(widgetFrameAncestors: config.widgetFrameAncestors),
            maxFrameBytes: config.maxFrameBytes, maxQueuedBytesPerConnection: config.maxQueuedBytesPerConnection,
            maxHTTPBodyBytes: config.maxHTTPBodyBytes, maxConnectionsPerAddress: config.maxConnectionsPerAddress,
            idlePingSeconds: config.idlePingSeconds, idleTimeoutSeconds: config.idleTimeoutSeconds,
            // A socket that has not even sent its request gets the same allowance as one that has not said hello.
            handshakeTimeoutSeconds: Int(config.helloTimeoutSeconds.rounded(.up)),
            tlsCertificatePath: config.tlsCertificate, tlsPrivateKeyPath: config.tlsPrivateKey), logger: logger)
        mailbox = ServiceMailbox(wake: { [transport] in transport.wake() })  // wake() is safe from any thread
        workers = BlockingWorkers(count: 3, capacity: 10_000)
        revocations = RevocationWatcher(store: store, intervalSeconds: config.revocationPollSeconds,
                                        from: try store.latestStaffRevocationSeq(), logger: logger)
        searchIndexer = SearchIndexer(store: store, intervalSeconds: config.searchIndexIntervalSeconds, logger: logger)
        retention = RetentionSweeper(store: store, retention: policy.retention, intervalSeconds: config.retentionSweepSeconds,
                                     logger: logger, now: { [clock] in clock.now() })
        writer = store.makeWriter(
            capacity: config.writerCapacity, lingerSeconds: config.commitLingerMillis / 1000,
            onCommit: { [unowned self] receipt in
                self.mailbox.post { self.commitArrived(receipt) }
            },
            onFailure: { [unowned self] failure in
                self.logger.critical("storage write failed", metadata: ["storage.error": "\(failure.message)"])
                self.mailbox.post { self.apply(self.engine.writesFailed([failure.write])) }
            },
            onStorageState: { [logger] message in
                if let message {
                    logger.critical("storage is failing; new writes are refused until it recovers",
                                    metadata: ["storage.error": "\(message)"])
                } else {
                    logger.notice("storage recovered; writes accepted again")
                }
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
                                                   initialBackoffSeconds: config.onCallInitialBackoffSeconds,
                                                   caFile: config.onCallWebhookCAFile))
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
        attachmentWriter.start()
        passwordChecks.start()
        onCall?.start()
        if clusterNode?.isRelay != true { onCallOutbox?.start() }  // one node sends alerts
        port = try transport.start()
        rearmTimer()
        if clusterNode?.isRelay != true {
            // The engine's node watches revocations (it holds the WebSockets' principals) and runs the sweeps.
            revocations.start { [unowned self] found in
                self.mailbox.post { self.revocationsArrived(found) }
            }
            retention.start()
        }
        searchIndexer.start()
        startCluster(busFactory: busFactory)
        return port
    }

    /// Serves until `requestStop()`; then flushes the writer. Blocks the calling (service) thread.
    public func run() {
        transport.run()
        writer.stop()
        workers.stop()
        attachmentWriter.stop()
        onCallOutbox?.stop()
        passwordChecks.stop()
        revocations.stop()
        retention.stop()
        searchIndexer.stop()
        onCall?.stop()
        stopCluster()
        logger.info("stopped; every acknowledged write is on disk")
    }

    /// Any thread: stop accepting, close WebSockets with 1001, let `run()` flush and return.
    public func requestStop() {
        transport.requestStop(closeCode: 1001)
    }

    /// Any thread: like `requestStop()`, but WebSockets are closed with 1012 (service restart): this node is about
    /// to serve again in another role (a relay that won the engine lease).
    public func requestRestart() {
        transport.requestStop(closeCode: 1012)
    }

    /// Reads the TLS certificate and key files again for new connections (SIGHUP); open chats keep theirs. Any
    /// thread: the reload runs on the service thread.
    public func reloadTLSCertificate() {
        mailbox.post { [self] in
            if let problem = transport.reloadTLSCertificate() {
                logger.error("TLS certificate not reloaded; the previous one stays in use", metadata: ["tls.error": "\(problem)"])
            } else {
                logger.notice("TLS certificate reloaded", metadata: ["tls.certificate": "\(config.tlsCertificate ?? "-")"])
            }
        }
    }

    /// Whether the server speaks HTTPS/WSS.
    public var isTLS: Bool { transport.isTLS }

    // MARK: Effects (service thread only)

    /// Carries out what the engine decided, in order.
    func apply(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case let .send(connections, message):
                metrics.recordSend(message, count: connections.count)
                // Encoded once; every local receiver's queue holds the same buffer (relays get one bus operation).
                sendFrame(WireEncoding.encode(message), to: connections)
            case .persist(let writes):
                persist(writes)
            case let .loadHistory(connection, sessionID, afterSeq):
                metrics.recordHistoryRead()
                loadHistory(connection, sessionID: sessionID, afterSeq: afterSeq)
            case let .continueSessionList(connection, after):
                whenDrained(connection, .sessionList(after: after))
            case .findChatRequest(let key):
                findChatRequest(key)
            case let .findSession(connection, sessionID, resend):
                findSession(connection, sessionID: sessionID, resend: resend)
            case let .close(connection, code, reason):
                closeConnection(connection, code: code, reason: reason)
            case .createTicket(let request):
                createRequestedTicket(request)
            case let .attachmentAnswered(requestID, outcome):
                attachmentAnswered(requestID, outcome)
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

    /// Reads the next page of a replay now, or once the connection has drained (flow control).
    private func loadHistory(_ connection: ConnectionID, sessionID: SessionID, afterSeq: Seq) {
        whenDrained(connection, .historyPage(sessionID: sessionID, afterSeq: afterSeq))
    }

    /// Runs the next part of a long stream now if the connection's queue is at most the low-water mark, else once
    /// it has drained to it.
    private func whenDrained(_ connection: ConnectionID, _ part: ParkedStreamPart) {
        if let queued = transport.queuedBytes(connection), queued > config.replayLowWater {
            parkedStreams[connection, default: []].append(part)
            transport.notifyWhenDrained(connection, lowWater: config.replayLowWater)
            return
        }
        run(part, on: connection)
    }

    func resumeParkedStreams(_ connection: ConnectionID) {
        for part in parkedStreams.removeValue(forKey: connection) ?? [] { run(part, on: connection) }
    }

    private func run(_ part: ParkedStreamPart, on connection: ConnectionID) {
        switch part {
        case let .historyPage(sessionID, afterSeq):
            readHistoryPage(connection, sessionID: sessionID, afterSeq: afterSeq)
        case .sessionList(let after):
            apply(engine.sessionListContinued(connection, afterSessionID: after))
        }
    }

    private func readHistoryPage(_ connection: ConnectionID, sessionID: SessionID, afterSeq: Seq) {
        guard let principal = engine.principal(of: connection) else { return }
        // Chats in memory: the engine has checked access against the newest state. Others: checked on the stored
        // record before any event is read, so a refused reader costs one row.
        let checkStored = engine.sessionRecord(sessionID) == nil
        let store = self.store
        let pageSize = config.replayPageSize
        let accepted = workers.submit { [unowned self] in
            let page = (try? store.historyPage(sessionID: sessionID, afterSeq: afterSeq, limit: pageSize,
                                               staffCandidate: principal.staffID) { stored in
                !checkStored || SessionAccess.mayFollow(principal, stored.record, handledBy: stored.handledBy)
            }) ?? HistoryPage(session: nil, events: [], isLast: true)
            self.mailbox.post {
                self.apply(self.engine.historyLoaded(connection, sessionID: sessionID, afterSeq: afterSeq, page: page))
            }
        }
        if !accepted {
            // The client resumes after reconnecting; better than a subscription that never catches up.
            closeConnection(connection, code: 1013, reason: "server_busy")
        }
    }

    private func findChatRequest(_ key: ChatRequestKey) {
        let store = self.store
        let accepted = workers.submit { [unowned self] in
            do {
                let found = try store.chatRequest(key)
                self.mailbox.post {
                    self.apply(self.engine.chatRequestFound(key, session: found?.session, firstEvent: found?.firstEvent))
                }
            } catch {
                self.logger.error("chat request lookup failed", metadata: ["storage.error": "\(error)"])
                self.mailbox.post { self.apply(self.engine.chatRequestLookupFailed(key)) }
            }
        }
        if !accepted { apply(engine.chatRequestLookupFailed(key)) }
    }

    private func findSession(_ connection: ConnectionID, sessionID: SessionID, resend: ClientMessageKey?) {
        let store = self.store
        let principal = engine.principal(of: connection)
        let accepted = workers.submit { [unowned self] in
            do {
                let session = try store.storedSession(id: sessionID, staffCandidate: principal?.staffID)
                let resent = try resend.flatMap { session == nil ? nil : try store.event(sessionID: sessionID, key: $0) }
                self.mailbox.post {
                    self.apply(self.engine.sessionFound(connection, sessionID: sessionID, resend: resend,
                                                        session: session, resent: resent))
                }
            } catch {
                self.mailbox.post {
                    self.refuse(connection, .serverBusy, "The server could not read chat \(sessionID); try again.", ref: resend?.clientID)
                }
            }
        }
        if !accepted { refuse(connection, .serverBusy, "The server is busy; try again shortly.", ref: resend?.clientID) }
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

/// The next part of a long stream, run once its connection has drained.
enum ParkedStreamPart {
    case historyPage(sessionID: SessionID, afterSeq: Seq)
    case sessionList(after: SessionID)
}

/// Per-connection state kept by the service layer.
struct ConnectionLink {
    var principal: Principal?
    var authenticating = false
    var bucket: TokenBucket
    /// For staff: the hash of the session token used, so logout can close the connection.
    var staffTokenHash: String?
}
