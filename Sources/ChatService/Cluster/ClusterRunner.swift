import ChatCore
import Foundation
import Logging

/// Runs one cluster node: competes for the engine lease, serves as leader or relay, and turns a relay that wins
/// the lease into the leader (the relay's server stops with 1012, its clients reconnect; the new leader's server
/// recovers every open chat from PostgreSQL, exactly as a restart does).
///
/// A leader that loses its lease (PostgreSQL unreachable for `leaseSeconds`, or another node took it) exits the
/// process at once with status 75: crash-only, so nothing it has not committed can be acknowledged afterwards,
/// and its writer's fencing refuses any commit already under way. Its supervisor (systemd) starts it again as a
/// relay.
///
/// Threading: `run` blocks the calling thread, which becomes each server's service thread in turn;
/// `requestStop` is safe from any thread.
public final class ClusterRunner: @unchecked Sendable {
    private let config: ServerConfig
    private let settings: ClusterSettings
    private let policy: SupportPolicy
    private let clock: any WallClock
    private let logger: Logger

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var generation: Int64?
    private var server: ChatServer?
    private var serverRole: NodeRole?
    private var stopRequested = false

    public init(config: ServerConfig, policy: SupportPolicy, clock: any WallClock, logger: Logger) throws {
        guard let settings = config.cluster else { throw ConfigurationError("cluster: not configured") }
        self.config = config
        self.settings = settings
        self.policy = policy
        self.clock = clock
        self.logger = logger
    }

    /// The PostgreSQL URL the lease lives in (the storage's).
    private var postgresURL: String {
        ProcessInfo.processInfo.environment["CHATD_POSTGRES_URL"] ?? config.storage.url ?? ""
    }

    /// Serves until `requestStop()`. `onListening(port, role)` is called each time a server starts listening.
    public func run(onListening: (Int, NodeRole) -> Void) throws {
        let lease = ClusterLease(
            url: postgresURL, name: settings.leaseName, holder: Self.holderName(node: settings.node),
            ttlSeconds: settings.leaseSeconds, renewSeconds: settings.heartbeatSeconds, logger: logger,
            onAcquired: { [self] generation in acquired(generation) },
            onLost: { [logger] in
                logger.critical("lost the engine lease; exiting so that this node can write nothing more")
                _exit(75)  // at once: no atexit work, no further write from any thread
            })
        lease.start()
        // Give the first attempt time to finish: a node that starts alone, or first, leads at once.
        condition.lock()
        let deadline = Date().addingTimeInterval(min(2, settings.heartbeatSeconds * 1.5))
        while generation == nil, !stopRequested, condition.wait(until: deadline) {}
        condition.unlock()

        var config = self.config
        var wasLeader = false
        defer { lease.stop(release: wasLeader) }
        while true {
            condition.lock()
            let role: NodeRole = generation.map { .leader(generation: $0) } ?? .relay
            let stopping = stopRequested
            condition.unlock()
            if stopping { return }
            let server = try ChatServer(config: config, policy: policy, clock: clock, logger: logger, role: role,
                                        busFactory: Self.redisBusFactory(url: settings.redisURL, logger: logger))
            let port = try server.start()
            config.port = port  // a promoted node serves on the same port
            condition.lock()
            self.server = server
            serverRole = role
            // Won the lease while this relay was starting: hand over at once.
            let promoteNow = role == .relay && generation != nil
            let stopNow = stopRequested
            condition.unlock()
            if promoteNow { server.requestRestart() }
            if stopNow { server.requestStop() }
            if case .leader = role { wasLeader = true }
            logger.notice("cluster node serving", metadata: [
                "cluster.node": "\(settings.node)", "cluster.role": "\(role)", "http.port": "\(port)"])
            onListening(port, role)
            server.run()
            condition.lock()
            self.server = nil
            let promoted = role == .relay && generation != nil && !stopRequested
            condition.unlock()
            guard promoted else { return }
            logger.notice("won the engine lease; serving as leader", metadata: ["cluster.node": "\(settings.node)"])
        }
    }

    /// Any thread: stop serving (WebSockets closed with 1001), release the lease if held, return from `run`.
    public func requestStop() {
        condition.lock()
        stopRequested = true
        let server = self.server
        condition.broadcast()
        condition.unlock()
        server?.requestStop()
    }

    /// Any thread: SIGHUP.
    public func reloadTLSCertificate() {
        condition.withLock { server }?.reloadTLSCertificate()
    }

    /// The lease thread: this node now holds the engine lease.
    private func acquired(_ generation: Int64) {
        condition.lock()
        self.generation = generation
        let relayToRestart = serverRole == .relay ? server : nil
        condition.broadcast()
        condition.unlock()
        relayToRestart?.requestRestart()
    }

    /// The lease holder name of node `node`.
    static func holderName(node: Int) -> String { "node-\(node)" }

    /// The production bus: Redis pub/sub.
    static func redisBusFactory(url: String, logger: Logger) -> ClusterBusFactory {
        { channels, onMessage, onConnectionChange in
            RedisBus(url: url, subscriptions: channels, logger: logger, onMessage: onMessage,
                     onConnectionChange: onConnectionChange)
        }
    }
}
