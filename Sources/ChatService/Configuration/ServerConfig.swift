import ChatCore
import Foundation

/// The server's configuration, read once at start-up from a JSON file.
///
/// Every key of the file is optional and missing keys keep the defaults below; an unknown key is an
/// error naming it, so a typo is caught instead of silently ignored. A plain value: safe from any thread.
public struct ServerConfig: Sendable, Codable, Equatable {
    /// How hard the storage writer works to keep committed messages across a power loss.
    public enum Durability: String, Sendable, Codable, Equatable, CaseIterable {
        /// SQLite `synchronous=FULL`: a committed message survives power loss.
        case full
        /// SQLite `synchronous=NORMAL` in WAL mode: survives a crash of the process, may lose the last
        /// commits on power loss; faster.
        case normal
    }

    /// Address to listen on.
    public var host: String = "127.0.0.1"
    /// TCP port to listen on (0 picks an ephemeral port, for tests).
    public var port: Int = 8080
    /// Directory for the database and the generated JWT secret.
    public var dataDirectory: String = "./data"
    /// Folder of the web client's static files; nil means detect it at start-up.
    public var webRoot: String? = nil
    /// Origins (`https://host[:port]`) that may frame the customer widget and demo pages, besides this server's
    /// own; every other page may not be framed at all.
    public var widgetFrameAncestors: [String] = []
    /// See `Durability`.
    public var durability: Durability = .full
    /// Most active sessions routed to one agent.
    public var agentSessionCap: Int = 3
    /// How long a disconnected agent's sessions wait before going back to the queue.
    public var agentGraceSeconds: Double = 60
    /// Largest WebSocket message accepted, in bytes (after reassembly).
    public var maxFrameBytes: Int = 65_536
    /// Longest chat message, in characters.
    public var maxMessageLength: Int = 4000
    /// Largest HTTP request body, in bytes.
    public var maxHTTPBodyBytes: Int = 65_536
    /// Most bytes queued for one slow connection before it is closed.
    public var maxQueuedBytesPerConnection: Int = 1_048_576
    /// Per-connection sustained rate of client messages.
    public var messagesPerSecond: Double = 20
    /// Per-connection burst of client messages (bucket size).
    public var messageBurst: Double = 40
    /// Chats one customer contact may request per hour (across connections), and at once.
    public var chatRequestsPerHour: Double = 30
    public var chatRequestBurst: Double = 5
    /// Tickets one organization's customers may open per hour over HTTP, and at once.
    public var ticketsPerOrganizationPerHour: Double = 60
    public var ticketBurst: Double = 20
    /// Most pending writes in the storage writer's queue before the server reports busy.
    public var writerCapacity: Int = 100_000
    /// Under load, the writer waits this many milliseconds before a commit so more writes share it (0: never).
    /// Only when the previous commit held more than one write: an idle server commits at once. Measured at 6,000
    /// msgs/s (Scripts/bench): 1 ms cut chatd's CPU per message by a third and bytes written per message from 3.4 KB
    /// to 1.7 KB, for about 1.2 ms more median latency; at 10,000-16,000 msgs/s p99 fell as well. 2 ms against
    /// 1 ms: 8-22% less CPU per message from 2,000 to 16,000 msgs/s, p50 0.7-1.1 ms higher, p99 at 16,000 the same.
    public var commitLingerMillis: Double = 2
    /// PBKDF2 iterations for new staff password hashes.
    public var passwordIterations: Int = 600_000
    /// Lifetime of a staff session token.
    public var sessionTokenTTLSeconds: Double = 43_200
    /// Clock skew tolerated on customer tokens' `exp` and `nbf`.
    public var tokenLeewaySeconds: Double = 30
    /// The domain clock these settings ask for: real time, or started at `clockStart` and/or sped up, from now.
    /// `chatd serve` uses `ClockAnchor.resolve` instead, which continues the clock across restarts.
    /// Most seconds a customer token's `exp` may lie ahead of now (a longer-lived token is refused).
    public var customerTokenMaxLifetimeSeconds: Double = 86_400
    /// Threads that check staff passwords (PBKDF2), apart from the workers that serve hellos and reads.
    public var loginWorkers: Int = 1
    /// Logins waiting for a password check beyond which `POST /api/login` is answered 503 `server_busy`.
    public var loginQueueCapacity: Int = 16
    /// Login attempts one source address may make at once; refilled at this many per `loginThrottleWindowSeconds`.
    public var loginAttemptsPerAddress: Double = 30
    /// Login attempts for one username at once; refilled at this many per `loginThrottleWindowSeconds`.
    public var loginAttemptsPerUsername: Double = 10
    /// The window over which the login attempt allowances refill.
    public var loginThrottleWindowSeconds: Double = 60
    /// Most addresses and usernames the login throttle remembers (older, idle ones are forgotten first).
    public var loginThrottleMaxEntries: Int = 10_000
    /// A WebSocket that has not sent `hello` this many seconds after opening is closed (4408 `hello_timeout`).
    public var helloTimeoutSeconds: Double = 10
    /// An idle WebSocket (nothing received for this long) is pinged.
    public var idlePingSeconds: Int = 30
    /// A WebSocket with nothing received (not even a pong) for this long is closed as dead.
    public var idleTimeoutSeconds: Int = 75
    /// Most WebSockets open at once from one source address; more are closed at once (1013 `too_many_connections`).
    public var maxConnectionsPerAddress: Int = 200
    /// How often the server looks for staff sessions revoked by `chatd admin` (another process).
    public var revocationPollSeconds: Double = 1

    /// The domain clock these settings ask for: real time, or started at `clockStart` and/or sped up.
    public func makeClock() -> any WallClock {
        let start = clockStart.flatMap(ISOTime.parseInstant)
        return clockSpeed == 1 && start == nil ? SystemClock() : AcceleratedClock(speed: clockSpeed, start: start)
    }

    /// Path of the support policy JSON file; nil uses `SupportPolicy.defaults`.
    public var policyFile: String? = nil
    /// Speed of the domain clock: 1 is real time, above 1 accelerates it (demos and end-to-end tests).
    public var clockSpeed: Double = 1
    /// Start the domain clock at this ISO 8601 instant instead of now (demos and end-to-end tests).
    public var clockStart: String? = nil
    /// Where urgent tickets outside support hours are announced to on-call staff (HTTP POST); nil: nobody.
    public var onCallWebhookURL: String? = nil
    /// The key that signs on-call webhook bodies; the environment variable CHATD_ONCALL_SECRET overrides it.
    public var onCallWebhookSecret: String? = nil
    /// PEM file of CAs to trust for an https on-call webhook instead of the system's.
    public var onCallWebhookCAFile: String? = nil
    /// Attempts per on-call notification before giving up.
    public var onCallMaxAttempts: Int = 5
    /// First delay between on-call attempts, doubling each time (capped at 60 s).
    public var onCallInitialBackoffSeconds: Double = 2
    /// On-call pages per organization in any 24 hours; further urgent tickets are still tickets, not pages, and
    /// supervisors are told.
    public var onCallAlertsPerOrganizationPerDay: Int = 10
    /// Pages (4 KiB) the SQLite write-ahead log may hold before it is checkpointed into the database file.
    public var walCheckpointPages: Int = 20_000
    /// Events the unindexed tail of the event log may hold before the writer indexes them all at once.
    public var eventIndexBatch: Int = 8_192
    /// Seconds committed events may wait unindexed when fewer than `eventIndexBatch` arrive.
    public var eventIndexDelaySeconds: Double = 2
    /// How long after their first rating a customer may still change it.
    public var csatChangeWindowSeconds: Double = 600
    /// A bearer token that may read `GET /metrics` (for the Prometheus scraper); supervisors may read it too.
    public var metricsToken: String?
    /// PEM certificate chain and private key files: with both, chatd serves HTTPS and WSS itself.
    public var tlsCertificate: String?
    public var tlsPrivateKey: String?
    /// How often the policy's retention is applied (nothing happens when the policy keeps everything).
    public var retentionSweepSeconds: Double = 3600
    /// How often newly committed messages are added to the full-text index (how far search lags).
    public var searchIndexIntervalSeconds: Double = 1
    /// The storage backend: SQLite in the data directory (default) or PostgreSQL (see `StorageSettings`).
    public var storage: StorageSettings = .sqlite
    /// Cluster mode (nil: a single node); requires PostgreSQL storage. See `ClusterSettings`.
    public var cluster: ClusterSettings? = nil

    /// The defaults.
    public init() {}

    /// The keys a config file may contain; each is the property of the same name.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port, dataDirectory, webRoot, widgetFrameAncestors, durability, agentSessionCap, agentGraceSeconds
        case maxFrameBytes, maxMessageLength, maxHTTPBodyBytes, maxQueuedBytesPerConnection
        case messagesPerSecond, messageBurst, chatRequestsPerHour, chatRequestBurst, ticketsPerOrganizationPerHour, ticketBurst
        case writerCapacity, commitLingerMillis, passwordIterations, sessionTokenTTLSeconds
        case tokenLeewaySeconds, policyFile, clockSpeed, clockStart
        case onCallWebhookURL, onCallWebhookSecret, onCallWebhookCAFile, onCallMaxAttempts, onCallInitialBackoffSeconds
        case onCallAlertsPerOrganizationPerDay, walCheckpointPages, eventIndexBatch, eventIndexDelaySeconds, csatChangeWindowSeconds, metricsToken, retentionSweepSeconds, searchIndexIntervalSeconds, tlsCertificate, tlsPrivateKey
        case customerTokenMaxLifetimeSeconds, loginWorkers, loginQueueCapacity, loginAttemptsPerAddress
        case loginAttemptsPerUsername, loginThrottleWindowSeconds, loginThrottleMaxEntries
        case helloTimeoutSeconds, idlePingSeconds, idleTimeoutSeconds, maxConnectionsPerAddress, revocationPollSeconds
        case storage, cluster
    }

    /// Decodes a config object: missing keys keep defaults; unknown keys and out-of-range values throw
    /// `ConfigurationError`; ill-typed values throw `DecodingError`.
    public init(from decoder: any Decoder) throws {
        try AnyKey.refuseUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // A present key must hold a value of its type: `null` is refused, except for the optional paths.
        func value<T: Decodable>(_ key: CodingKeys, _ current: T) throws -> T {
            c.contains(key) ? try c.decode(T.self, forKey: key) : current
        }
        host = try value(.host, host)
        port = try value(.port, port)
        dataDirectory = try value(.dataDirectory, dataDirectory)
        webRoot = try c.decodeIfPresent(String.self, forKey: .webRoot)
        widgetFrameAncestors = try value(.widgetFrameAncestors, widgetFrameAncestors)
        if c.contains(.durability) {
            let text = try c.decode(String.self, forKey: .durability)
            guard let parsed = Durability(rawValue: text) else {
                throw ConfigurationError("durability: \"\(text)\" is not one of \"full\", \"normal\"")
            }
            durability = parsed
        }
        agentSessionCap = try value(.agentSessionCap, agentSessionCap)
        agentGraceSeconds = try value(.agentGraceSeconds, agentGraceSeconds)
        maxFrameBytes = try value(.maxFrameBytes, maxFrameBytes)
        maxMessageLength = try value(.maxMessageLength, maxMessageLength)
        maxHTTPBodyBytes = try value(.maxHTTPBodyBytes, maxHTTPBodyBytes)
        maxQueuedBytesPerConnection = try value(.maxQueuedBytesPerConnection, maxQueuedBytesPerConnection)
        messagesPerSecond = try value(.messagesPerSecond, messagesPerSecond)
        messageBurst = try value(.messageBurst, messageBurst)
        chatRequestsPerHour = try value(.chatRequestsPerHour, chatRequestsPerHour)
        chatRequestBurst = try value(.chatRequestBurst, chatRequestBurst)
        ticketsPerOrganizationPerHour = try value(.ticketsPerOrganizationPerHour, ticketsPerOrganizationPerHour)
        ticketBurst = try value(.ticketBurst, ticketBurst)
        writerCapacity = try value(.writerCapacity, writerCapacity)
        commitLingerMillis = try value(.commitLingerMillis, commitLingerMillis)
        passwordIterations = try value(.passwordIterations, passwordIterations)
        sessionTokenTTLSeconds = try value(.sessionTokenTTLSeconds, sessionTokenTTLSeconds)
        tokenLeewaySeconds = try value(.tokenLeewaySeconds, tokenLeewaySeconds)
        policyFile = try c.decodeIfPresent(String.self, forKey: .policyFile)
        clockSpeed = try value(.clockSpeed, clockSpeed)
        clockStart = try c.decodeIfPresent(String.self, forKey: .clockStart)
        onCallWebhookURL = try c.decodeIfPresent(String.self, forKey: .onCallWebhookURL)
        storage = try value(.storage, storage)
        cluster = try c.decodeIfPresent(ClusterSettings.self, forKey: .cluster)
        onCallWebhookCAFile = try c.decodeIfPresent(String.self, forKey: .onCallWebhookCAFile)
        onCallWebhookSecret = try c.decodeIfPresent(String.self, forKey: .onCallWebhookSecret)
        onCallMaxAttempts = try value(.onCallMaxAttempts, onCallMaxAttempts)
        onCallInitialBackoffSeconds = try value(.onCallInitialBackoffSeconds, onCallInitialBackoffSeconds)
        onCallAlertsPerOrganizationPerDay = try value(.onCallAlertsPerOrganizationPerDay, onCallAlertsPerOrganizationPerDay)
        walCheckpointPages = try value(.walCheckpointPages, walCheckpointPages)
        eventIndexBatch = try value(.eventIndexBatch, eventIndexBatch)
        eventIndexDelaySeconds = try value(.eventIndexDelaySeconds, eventIndexDelaySeconds)
        csatChangeWindowSeconds = try value(.csatChangeWindowSeconds, csatChangeWindowSeconds)
        metricsToken = try c.decodeIfPresent(String.self, forKey: .metricsToken)
        tlsCertificate = try c.decodeIfPresent(String.self, forKey: .tlsCertificate)
        tlsPrivateKey = try c.decodeIfPresent(String.self, forKey: .tlsPrivateKey)
        retentionSweepSeconds = try value(.retentionSweepSeconds, retentionSweepSeconds)
        searchIndexIntervalSeconds = try value(.searchIndexIntervalSeconds, searchIndexIntervalSeconds)
        customerTokenMaxLifetimeSeconds = try value(.customerTokenMaxLifetimeSeconds, customerTokenMaxLifetimeSeconds)
        loginWorkers = try value(.loginWorkers, loginWorkers)
        loginQueueCapacity = try value(.loginQueueCapacity, loginQueueCapacity)
        loginAttemptsPerAddress = try value(.loginAttemptsPerAddress, loginAttemptsPerAddress)
        loginAttemptsPerUsername = try value(.loginAttemptsPerUsername, loginAttemptsPerUsername)
        loginThrottleWindowSeconds = try value(.loginThrottleWindowSeconds, loginThrottleWindowSeconds)
        loginThrottleMaxEntries = try value(.loginThrottleMaxEntries, loginThrottleMaxEntries)
        helloTimeoutSeconds = try value(.helloTimeoutSeconds, helloTimeoutSeconds)
        idlePingSeconds = try value(.idlePingSeconds, idlePingSeconds)
        idleTimeoutSeconds = try value(.idleTimeoutSeconds, idleTimeoutSeconds)
        maxConnectionsPerAddress = try value(.maxConnectionsPerAddress, maxConnectionsPerAddress)
        revocationPollSeconds = try value(.revocationPollSeconds, revocationPollSeconds)
        try validate()
    }

    /// Throws `ConfigurationError` naming the first key whose value is out of range. Safe from any thread.
    public func validate() throws {
        guard (0...100).contains(commitLingerMillis) else {
            throw ConfigurationError("commitLingerMillis: must be between 0 and 100, found \(commitLingerMillis)")
        }
        if let clockStart, ISOTime.parseInstant(clockStart) == nil {
            throw ConfigurationError(
                "clockStart: \"\(clockStart)\" is not an ISO 8601 instant such as 2026-11-21T18:00:00Z or 2026-11-21T18:00:00.250Z")
        }
        func require(_ ok: Bool, _ key: CodingKeys, _ rule: String) throws {
            if !ok { throw ConfigurationError("\(key.stringValue): must be \(rule)") }
        }
        try require(!host.isEmpty, .host, "a non-empty address")
        try require((0...65_535).contains(port), .port, "in 0...65535")
        try require(!dataDirectory.isEmpty, .dataDirectory, "a non-empty path")
        if let cluster {
            try cluster.validate()
            try require(storage.kind == .postgres, .cluster, "used with storage.kind \"postgres\" (every node on one database)")
        }
        if let bad = widgetFrameAncestors.first(where: { !WebClientHeaders.isValidOrigin($0) }) {
            throw ConfigurationError("widgetFrameAncestors: \"\(bad)\" is not an origin such as https://admin.example.com")
        }
        try require(agentSessionCap >= 1, .agentSessionCap, ">= 1")
        try require(agentGraceSeconds >= 0 && agentGraceSeconds.isFinite, .agentGraceSeconds, ">= 0")
        try require(maxFrameBytes >= 1024, .maxFrameBytes, ">= 1024")
        try require(maxMessageLength >= 1, .maxMessageLength, ">= 1")
        try require(maxHTTPBodyBytes >= 1024, .maxHTTPBodyBytes, ">= 1024")
        try require(maxQueuedBytesPerConnection >= maxFrameBytes, .maxQueuedBytesPerConnection, ">= maxFrameBytes")
        try require(messagesPerSecond > 0 && messagesPerSecond.isFinite, .messagesPerSecond, "> 0")
        try require(messageBurst >= 1 && messageBurst.isFinite, .messageBurst, ">= 1")
        try require(chatRequestsPerHour > 0 && chatRequestsPerHour.isFinite, .chatRequestsPerHour, "> 0")
        try require(chatRequestBurst >= 1 && chatRequestBurst.isFinite, .chatRequestBurst, ">= 1")
        try require(ticketsPerOrganizationPerHour > 0 && ticketsPerOrganizationPerHour.isFinite, .ticketsPerOrganizationPerHour, "> 0")
        try require(ticketBurst >= 1 && ticketBurst.isFinite, .ticketBurst, ">= 1")
        try require(writerCapacity >= 1, .writerCapacity, ">= 1")
        try require(walCheckpointPages >= 100, .walCheckpointPages, ">= 100")
        try require(eventIndexBatch >= 1 && eventIndexBatch <= 1_000_000, .eventIndexBatch, "between 1 and 1000000")
        try require((tlsCertificate == nil) == (tlsPrivateKey == nil), .tlsCertificate,
                    "set together with tlsPrivateKey (PEM files)")
        for (key, path) in [(CodingKeys.tlsCertificate, tlsCertificate), (.tlsPrivateKey, tlsPrivateKey)] {
            if let path { try require(FileManager.default.isReadableFile(atPath: path), key, "a readable PEM file (\(path))") }
        }
        try require(metricsToken.map { $0.count >= 16 && !$0.contains(" ") } ?? true, .metricsToken,
                    "at least 16 characters without spaces")
        try require(searchIndexIntervalSeconds >= 0.01 && searchIndexIntervalSeconds <= 3600, .searchIndexIntervalSeconds,
                    "between 0.01 and 3600")
        try require(retentionSweepSeconds >= 0.1 && retentionSweepSeconds <= 86_400, .retentionSweepSeconds,
                    "between 0.1 and 86400")
        try require(csatChangeWindowSeconds >= 0 && csatChangeWindowSeconds <= 7 * 86_400, .csatChangeWindowSeconds,
                    "between 0 and 604800")
        try require(eventIndexDelaySeconds >= 0.01 && eventIndexDelaySeconds <= 3600, .eventIndexDelaySeconds,
                    "between 0.01 and 3600")
        try require((1...PasswordHasher.maxIterations).contains(passwordIterations), .passwordIterations,
                    "in 1...\(PasswordHasher.maxIterations)")
        try require(sessionTokenTTLSeconds > 0 && sessionTokenTTLSeconds.isFinite, .sessionTokenTTLSeconds, "> 0")
        try require(tokenLeewaySeconds >= 0 && tokenLeewaySeconds.isFinite, .tokenLeewaySeconds, ">= 0")
        try require(clockSpeed > 0 && clockSpeed.isFinite, .clockSpeed, "> 0")
        try require(customerTokenMaxLifetimeSeconds > 0 && customerTokenMaxLifetimeSeconds.isFinite,
                    .customerTokenMaxLifetimeSeconds, "> 0")
        try require((1...64).contains(loginWorkers), .loginWorkers, "in 1...64")
        try require(loginQueueCapacity >= 1, .loginQueueCapacity, ">= 1")
        try require(loginAttemptsPerAddress >= 1 && loginAttemptsPerAddress.isFinite, .loginAttemptsPerAddress, ">= 1")
        try require(loginAttemptsPerUsername >= 1 && loginAttemptsPerUsername.isFinite, .loginAttemptsPerUsername, ">= 1")
        try require(loginThrottleWindowSeconds > 0 && loginThrottleWindowSeconds.isFinite, .loginThrottleWindowSeconds, "> 0")
        try require(loginThrottleMaxEntries >= 2, .loginThrottleMaxEntries, ">= 2")
        try require(helloTimeoutSeconds > 0 && helloTimeoutSeconds <= 86_400, .helloTimeoutSeconds, "in 0...86400, above 0")
        // lws keeps these in 16-bit fields; the ping must come before the hang-up.
        try require((1...65_535).contains(idlePingSeconds), .idlePingSeconds, "in 1...65535")
        try require((1...65_535).contains(idleTimeoutSeconds) && idleTimeoutSeconds > idlePingSeconds,
                    .idleTimeoutSeconds, "in 1...65535 and > idlePingSeconds")
        try require(maxConnectionsPerAddress >= 1, .maxConnectionsPerAddress, ">= 1")
        try require(revocationPollSeconds >= 0.05 && revocationPollSeconds <= 3600, .revocationPollSeconds,
                    "in 0.05...3600")
    }

    /// Reads and validates a JSON config file. Throws `ConfigurationError` naming the file and the
    /// offending key. Safe from any thread; blocking I/O (start-up only).
    public static func load(path: String) throws -> ServerConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read config file \(path)")
        }
        do {
            return try JSONDecoder().decode(ServerConfig.self, from: data)
        } catch {
            throw ConfigurationError.describing(error, in: path)
        }
    }

    /// The engine's tunables from this configuration. Safe from any thread; fast.
    public func engineConfig() -> EngineConfig {
        EngineConfig(agentSessionCap: agentSessionCap, agentGraceSeconds: agentGraceSeconds,
                     maxMessageLength: maxMessageLength, replayPageSize: replayPageSize)
    }

    /// The most bytes one encoded event can take (every character escaped as `\uXXXX`, plus the envelope).
    var maxEncodedEventBytes: Int { maxMessageLength * 6 + 2048 }

    /// A replay's next page is queued only once the connection's queue is at most this many bytes.
    var replayLowWater: Int { maxQueuedBytesPerConnection / 4 }

    /// Events per replay page: with the low-water mark, a page of the largest possible events still fits under
    /// `maxQueuedBytesPerConnection` (at most 64).
    var replayPageSize: Int {
        max(1, min(64, (maxQueuedBytesPerConnection - replayLowWater) / maxEncodedEventBytes))
    }
}

/// Any string key, for listing the keys a JSON object actually contains.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// Throws `ConfigurationError` naming the first key of the object in `decoder` that is not in `known`
    /// (`prefix` names the object: "" for the top level, "cluster: " for a section).
    static func refuseUnknownKeys(in decoder: any Decoder, known: [String], prefix: String = "") throws {
        let present = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        let knownSet = Set(known)
        if let unknown = present.sorted().first(where: { !knownSet.contains($0) }) {
            throw ConfigurationError("\(prefix)unknown key \"\(unknown)\"; known keys: \(known.joined(separator: ", "))")
        }
    }
}
