import ChatStorage
import Foundation
import Logging

/// A named lease in PostgreSQL with a fencing generation: at most one holder at a time (the cluster's router, the
/// owner of a chat), each new tenure with a higher `generation` that the holder stamps on what it writes, so
/// writes of an old holder can be refused.
///
/// Row: `cluster_leases(name text primary key, holder text not null, generation bigint not null,
/// expires_at double precision not null)`, times in seconds since 1970 on PostgreSQL's clock
/// (`clock_timestamp()`); the node's clock is never compared with it.
///
/// The lease thread: while not holding, tries to acquire every `renewSeconds` (free, expired, or already held
/// under this same holder name: a restarted node); on success `onAcquired(generation)`. While holding, renews
/// every `renewSeconds`; when the row no longer names this holder and generation (stolen, or expired and taken),
/// `onLost()`. Then, with `reacquireAfterLoss`, it goes back to trying; otherwise the thread ends.
///
/// Self-fencing: a held lease is reported lost once `ttlSeconds` have passed, on this node's monotonic clock,
/// since the start of the last renewal PostgreSQL confirmed, even if PostgreSQL never answers (the fence thread
/// watches that deadline, so a lease thread stuck in a network call cannot delay it). Measuring from before the
/// statement was sent makes the local deadline come no later than the row's `expires_at`, so this node stops
/// acting as holder before another node can acquire.
///
/// Threading contract: `start` and `stop` are called by the owner, once each. `onAcquired` and `onLost` run on
/// the lease thread or the fence thread, never at the same time and always in order (acquired, lost, acquired
/// ...); they must not block. After `stop` returns, neither runs again.
///
/// `@unchecked Sendable`: the state (`held`, `deadline`, flags) is guarded by `condition`; callbacks are
/// serialized by `callbackLock`; the PostgreSQL connection belongs to the lease thread.
final class ClusterLease: @unchecked Sendable {
    let name: String
    let holder: String
    private let url: String
    private let ttlSeconds: Double
    private let renewSeconds: Double
    private let reacquireAfterLoss: Bool
    private let logger: Logger
    private let onAcquired: @Sendable (Int64) -> Void
    private let onLost: @Sendable () -> Void

    private let condition = NSCondition()
    /// Taken around each held/lost transition and its callback, so callbacks never overlap or reorder.
    private let callbackLock = NSLock()
    private var stopping = false
    private var releaseOnStop = false
    private var runningThreads = 0
    /// The generation held, nil when not holding.
    private var held: Int64?
    /// Monotonic instant (`DispatchTime.now().uptimeNanoseconds`) after which a held lease counts as lost.
    private var deadline: UInt64 = 0

    init(url: String, name: String, holder: String, ttlSeconds: Double, renewSeconds: Double,
         reacquireAfterLoss: Bool = true, logger: Logger,
         onAcquired: @escaping @Sendable (Int64) -> Void, onLost: @escaping @Sendable () -> Void) {
        precondition(renewSeconds > 0 && renewSeconds < ttlSeconds, "renew more often than the lease expires")
        self.url = url
        self.name = name
        self.holder = holder
        self.ttlSeconds = ttlSeconds
        self.renewSeconds = renewSeconds
        self.reacquireAfterLoss = reacquireAfterLoss
        self.logger = logger
        self.onAcquired = onAcquired
        self.onLost = onLost
    }

    /// The generation currently held, if any.
    var generation: Int64? { condition.withLock { held } }

    func start() {
        condition.withLock { runningThreads = 2 }
        let leaseThread = Thread { [self] in
            runLease()
            threadEnded()
        }
        leaseThread.name = "chatd-lease"
        leaseThread.start()
        let fenceThread = Thread { [self] in
            runFence()
            threadEnded()
        }
        fenceThread.name = "chatd-lease-fence"
        fenceThread.start()
    }

    /// Ends both threads and waits for them (at most one statement in flight). With `release`, a held lease is
    /// given up in PostgreSQL (expires now) so another node takes over at once; without it the row simply
    /// expires. `onLost` is not called for a deliberate stop.
    func stop(release: Bool) {
        condition.withLock {
            stopping = true
            releaseOnStop = release
            condition.broadcast()
            while runningThreads > 0 { condition.wait() }
        }
    }

    /// The lease row as seen now (for status pages): nil when the lease was never taken. `expiresIn` is negative
    /// once expired.
    static func current(connection: PGConnection, name: String) throws
        -> (holder: String, generation: Int64, expiresIn: Double)? {
        let rows = try connection.execute("""
            SELECT holder, generation, expires_at - extract(epoch from clock_timestamp())::double precision AS expires_in
            FROM cluster_leases WHERE name = $1
            """, [.text(name)])
        guard rows.count == 1, let holder = rows.string(0, "holder"), let generation = rows.int(0, "generation"),
              let expiresIn = rows.double(0, "expires_in") else { return nil }
        return (holder, generation, expiresIn)
    }

    /// The table, for tests and for the migration that owns it in production.
    static let createTableSQL = """
        CREATE TABLE IF NOT EXISTS cluster_leases (
            name text PRIMARY KEY,
            holder text NOT NULL,
            generation bigint NOT NULL,
            expires_at double precision NOT NULL)
        """

    private func threadEnded() {
        condition.withLock {
            runningThreads -= 1
            condition.broadcast()
        }
    }

    // MARK: - Lease thread

    private func runLease() {
        var connection: PGConnection?
        var everHeld = false
        while true {
            let (stop, generation) = condition.withLock { (stopping, held) }
            if stop { break }
            if generation != nil { everHeld = true }
            // Lost (here or by the fence) and told not to try again.
            if everHeld && generation == nil && !reacquireAfterLoss { break }
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                if connection == nil || connection?.isHealthy == false {
                    connection = try Self.open(url: url)
                }
                if let generation {
                    if try !renew(connection!, generation: generation) {
                        logger.warning("cluster.lease: lost", metadata: leaseMetadata(generation))
                        lose(generation)
                        continue
                    } else {
                        extend(generation, from: started)
                    }
                } else if let acquired = try acquire(connection!) {
                    acquiredLease(acquired, from: started)
                }
            } catch {
                logger.warning("cluster.lease: PostgreSQL call failed", metadata: [
                    "lease.name": "\(name)", "lease.error": "\(error)",
                ])
                if let pgError = error as? PGError, pgError.isConnectionProblem { connection = nil }
            }
            if !sleep(renewSeconds) { break }
        }
        let (release, generation) = condition.withLock { (releaseOnStop, held) }
        if release, let generation, let connection {
            do {
                try connection.execute("""
                    UPDATE cluster_leases SET expires_at = extract(epoch from clock_timestamp())::double precision
                    WHERE name = $1 AND holder = $2 AND generation = $3
                    """, [.text(name), .text(holder), .int(generation)])
                logger.info("cluster.lease: released", metadata: leaseMetadata(generation))
            } catch {
                logger.warning("cluster.lease: release failed", metadata: ["lease.error": "\(error)"])
            }
        }
        condition.withLock { held = nil }
    }

    /// Connects with bounded waits: libpq's connect timeout, and a statement timeout under the ttl.
    private static func open(url: String) throws -> PGConnection {
        let connection = try PGConnection(url: withConnectTimeout(url))
        try connection.execute("SET statement_timeout = 2000")
        return connection
    }

    static func withConnectTimeout(_ url: String) -> String {
        if url.contains("connect_timeout") { return url }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return url + (url.contains("?") ? "&" : "?") + "connect_timeout=2"
        }
        return url + " connect_timeout=2"
    }

    /// Takes the row if it is missing, expired, or held under this holder name; the new generation, or nil.
    private func acquire(_ connection: PGConnection) throws -> Int64? {
        let rows = try connection.execute("""
            INSERT INTO cluster_leases AS l (name, holder, generation, expires_at)
            VALUES ($1, $2, 1, extract(epoch from clock_timestamp())::double precision + $3::double precision)
            ON CONFLICT (name) DO UPDATE
                SET holder = excluded.holder, generation = l.generation + 1, expires_at = excluded.expires_at
                WHERE l.expires_at <= extract(epoch from clock_timestamp())::double precision
                   OR l.holder = excluded.holder
            RETURNING generation
            """, [.text(name), .text(holder), .double(ttlSeconds)])
        return rows.count == 1 ? rows.int(0, 0) : nil
    }

    /// Extends the row this node holds; false when it no longer names this holder and generation.
    private func renew(_ connection: PGConnection, generation: Int64) throws -> Bool {
        let rows = try connection.execute("""
            UPDATE cluster_leases
            SET expires_at = extract(epoch from clock_timestamp())::double precision + $4::double precision
            WHERE name = $1 AND holder = $2 AND generation = $3
            """, [.text(name), .text(holder), .int(generation), .double(ttlSeconds)])
        return rows.affectedRows == 1
    }

    private func acquiredLease(_ generation: Int64, from started: UInt64) {
        callbackLock.lock()
        defer { callbackLock.unlock() }
        let proceed: Bool = condition.withLock {
            guard !stopping else { return false }
            held = generation
            deadline = started + UInt64(ttlSeconds * 1e9)
            condition.broadcast()  // the fence thread now has a deadline to watch
            return true
        }
        guard proceed else {
            // Stopping: keep `held` so a release still gives it back.
            condition.withLock { held = generation }
            return
        }
        logger.info("cluster.lease: acquired", metadata: leaseMetadata(generation))
        onAcquired(generation)
    }

    /// A renewal PostgreSQL confirmed: the deadline moves, unless the fence already declared the lease lost.
    private func extend(_ generation: Int64, from started: UInt64) {
        condition.withLock {
            if held == generation { deadline = started + UInt64(ttlSeconds * 1e9) }
        }
    }

    /// Held → lost exactly once (by the lease thread or the fence thread), then `onLost`.
    private func lose(_ generation: Int64) {
        callbackLock.lock()
        defer { callbackLock.unlock() }
        let lost: Bool = condition.withLock {
            guard held == generation, !stopping else { return false }
            held = nil
            return true
        }
        if lost { onLost() }
    }

    /// Sleeps up to `seconds`; false once stopping.
    private func sleep(_ seconds: Double) -> Bool {
        condition.withLock {
            let until = Date().addingTimeInterval(seconds)
            while !stopping && Date() < until { _ = condition.wait(until: until) }
            return !stopping
        }
    }

    // MARK: - Fence thread

    /// Watches the deadline of the held lease; declares it lost when the deadline passes without a renewal.
    private func runFence() {
        while true {
            let expired: Int64? = condition.withLock {
                while !stopping {
                    guard let generation = held else {
                        condition.wait()
                        continue
                    }
                    let now = DispatchTime.now().uptimeNanoseconds
                    if now >= deadline { return generation }
                    _ = condition.wait(until: Date().addingTimeInterval(Double(deadline - now) / 1e9))
                }
                return nil
            }
            guard let generation = expired else { return }
            logger.warning("cluster.lease: no renewal within the ttl; fencing", metadata: leaseMetadata(generation))
            lose(generation)
        }
    }

    private func leaseMetadata(_ generation: Int64) -> Logger.Metadata {
        ["lease.name": "\(name)", "lease.holder": "\(holder)", "lease.generation": "\(generation)"]
    }
}
