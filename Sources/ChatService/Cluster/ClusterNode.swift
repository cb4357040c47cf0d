import ChatCore
import Foundation

/// What a node does in the cluster.
public enum NodeRole: Sendable, Equatable {
    /// One server, no cluster (the default).
    case standalone
    /// Holds the engine lease with this fencing generation: runs the chat engine for every chat in the cluster,
    /// commits its events, and serves the clients of the other nodes through the bus.
    case leader(generation: Int64)
    /// Accepts WebSockets and relays their frames to the leader over the bus, delivers what the leader sends back;
    /// serves the HTTP API from the shared database itself. Becomes leader if it wins the lease.
    case relay
}

/// The bus between nodes (Redis pub/sub in production). Threading contract: `publish` never blocks and is safe
/// from any thread; `start`/`stop` belong to the server's owner. Messages on one channel from one publisher
/// arrive in order; a message published while a subscriber is disconnected is lost (the subscriber hears of it
/// through its connection callback).
public protocol ClusterBus: AnyObject, Sendable {
    func start()
    /// False (nothing queued) when the bus cannot take the messages now.
    func publish(_ messages: [(channel: String, payload: [UInt8])]) -> Bool
    func stop()
}

/// Makes the node's bus, subscribed to `channels`; `onMessage` and `onConnectionChange` run on the bus's thread.
public typealias ClusterBusFactory = @Sendable (_ channels: [String],
                                                _ onMessage: @escaping @Sendable (String, [UInt8]) -> Void,
                                                _ onConnectionChange: @escaping @Sendable (Bool) -> Void) -> any ClusterBus

/// The cluster state of one node. Service thread only (owned by `ChatServer`, touched in its callbacks and
/// mailbox jobs), except the immutable `settings`, `role` and `incarnation`.
final class ClusterNode {
    let settings: ClusterSettings
    let role: NodeRole
    /// Random per process start: tells a restarted node apart from its previous life.
    let incarnation = UInt32.random(in: 1...UInt32.max)
    var bus: (any ClusterBus)?

    /// Operations waiting to be published, by destination node (the leader uses node numbers of relays; a relay
    /// queues for the leader under key 0). Flushed once per service-loop turn.
    var outbound: [UInt16: [ClusterOp]] = [:]
    var flushScheduled = false
    /// The sequence number of the last message published on each channel.
    var sentSequence: [String: UInt64] = [:]
    /// The last message received from each sender on each channel: (incarnation, sequence).
    var receivedSequence: [ReceivedStream: (incarnation: UInt32, sequence: UInt64)] = [:]

    // Leader only: the relays heard from, with the connections they opened here (global ids).
    var relays: [UInt16: RelayPeer] = [:]

    // Relay only.
    /// The leader's generation this node relays to (nil: no leader heard from; new WebSockets are refused).
    var leaderGeneration: Int64?
    var leaderLastSeen = Date.distantPast
    /// Local WebSockets relayed to the leader, with the generation they were opened under.
    var relayed: [ConnectionID: Int64] = [:]

    init(settings: ClusterSettings, role: NodeRole) {
        self.settings = settings
        self.role = role
    }

    var isRelay: Bool { role == .relay }
    var generation: Int64 {
        if case .leader(let generation) = role { return generation }
        return leaderGeneration ?? 0
    }
    var nodeNumber: UInt16 { UInt16(settings.node) }

    /// Connection ids on the leader: a relay's local id prefixed with the relay's node number (local ids stay
    /// below 2^48; the leader's own connections have no prefix).
    static func globalID(node: UInt16, local: UInt64) -> ConnectionID { UInt64(node) << 48 | (local & 0xFFFF_FFFF_FFFF) }
    static func node(of id: ConnectionID) -> UInt16 { UInt16(truncatingIfNeeded: id >> 48) }
    static func localID(of id: ConnectionID) -> UInt64 { id & 0xFFFF_FFFF_FFFF }
    static func isRemote(_ id: ConnectionID) -> Bool { id >> 48 != 0 }
}

/// One sender's messages on one channel.
struct ReceivedStream: Hashable {
    var node: UInt16
    var channel: String
}

/// What a received message's sequence number says.
enum SequenceCheck {
    case next, duplicate, gap
}

extension ClusterNode {
    /// Stamps the next sequence number of `channel` on a message of `ops` from this node.
    func message(_ ops: [ClusterOp], on channel: String) -> ClusterMessage {
        let sequence = (sentSequence[channel] ?? 0) + 1
        sentSequence[channel] = sequence
        return ClusterMessage(node: nodeNumber, incarnation: incarnation, generation: generation, sequence: sequence, ops: ops)
    }

    /// Checks and records `message`'s sequence number on `channel`. The first message of a sender (or of its new
    /// incarnation) is taken as it comes.
    func check(_ message: ClusterMessage, on channel: String) -> SequenceCheck {
        let stream = ReceivedStream(node: message.node, channel: channel)
        defer {
            if let last = receivedSequence[stream], last.incarnation == message.incarnation {
                receivedSequence[stream] = (message.incarnation, max(last.sequence, message.sequence))
            } else {
                receivedSequence[stream] = (message.incarnation, message.sequence)
            }
        }
        guard let last = receivedSequence[stream], last.incarnation == message.incarnation else { return .next }
        if message.sequence <= last.sequence { return .duplicate }
        return message.sequence == last.sequence + 1 ? .next : .gap
    }
}

/// A relay as the leader knows it.
struct RelayPeer {
    var incarnation: UInt32
    var lastSeen: Date
    var connections: Set<ConnectionID> = []
}
