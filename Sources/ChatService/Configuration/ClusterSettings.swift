import Foundation

/// Cluster mode (docs/CLUSTER.md): several chatd nodes on one PostgreSQL database (`storage.kind` "postgres"),
/// Redis pub/sub between them. One node at a time holds the engine lease and runs the chat engine (the leader);
/// every node accepts WebSockets and HTTP, and the others relay their clients' frames to the leader over the bus.
///
/// `{"node": 2, "redisURL": "redis://127.0.0.1:6379"}`; the rest have defaults.
public struct ClusterSettings: Codable, Sendable, Equatable {
    /// This node's number, 1...65535, unique in the cluster (it prefixes the ids of the node's connections).
    public var node: Int
    /// The Redis server of the bus.
    public var redisURL: String
    /// Names the lease and the bus channels: clusters sharing a Redis or PostgreSQL server need different names.
    public var name: String = "chatd"
    /// How long the leader's lease lasts without renewal: a dead leader is replaced after at most this long.
    public var leaseSeconds: Double = 5
    /// How often the leader renews its lease and every node says it is alive on the bus.
    public var heartbeatSeconds: Double = 1
    /// A node silent on the bus this long is taken for dead: the leader drops its clients' connections (they
    /// reconnect elsewhere), a node that stops hearing the leader closes its clients' connections.
    public var nodeTimeoutSeconds: Double = 4

    public init(node: Int, redisURL: String) {
        self.node = node
        self.redisURL = redisURL
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case node, redisURL, name, leaseSeconds, heartbeatSeconds, nodeTimeoutSeconds
    }

    public init(from decoder: any Decoder) throws {
        try AnyKey.refuseUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.stringValue), prefix: "cluster: ")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        node = try c.decode(Int.self, forKey: .node)
        redisURL = try c.decode(String.self, forKey: .redisURL)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? name
        leaseSeconds = try c.decodeIfPresent(Double.self, forKey: .leaseSeconds) ?? leaseSeconds
        heartbeatSeconds = try c.decodeIfPresent(Double.self, forKey: .heartbeatSeconds) ?? heartbeatSeconds
        nodeTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .nodeTimeoutSeconds) ?? nodeTimeoutSeconds
    }

    /// Throws `ConfigurationError` for values outside their ranges.
    public func validate() throws {
        guard (1...65_535).contains(node) else { throw ConfigurationError("cluster.node: must be in 1...65535") }
        guard redisURL.hasPrefix("redis://") else { throw ConfigurationError("cluster.redisURL: must be redis://host:port") }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ConfigurationError("cluster.name: letters, digits, - and _ only")
        }
        guard heartbeatSeconds > 0, leaseSeconds >= 2 * heartbeatSeconds else {
            throw ConfigurationError("cluster.leaseSeconds: must be at least twice heartbeatSeconds (> 0)")
        }
        guard nodeTimeoutSeconds >= 2 * heartbeatSeconds else {
            throw ConfigurationError("cluster.nodeTimeoutSeconds: must be at least twice heartbeatSeconds")
        }
    }

    /// The bus channels.
    var leaderChannel: String { "\(name):leader" }
    var broadcastChannel: String { "\(name):nodes" }
    func nodeChannel(_ node: Int) -> String { "\(name):node:\(node)" }
    /// The lease the leader holds.
    var leaseName: String { "\(name):engine" }
}
