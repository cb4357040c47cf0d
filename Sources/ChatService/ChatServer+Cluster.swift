import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// Cluster mode (docs/CLUSTER.md): how frames cross between the leader, which runs the engine, and the relays,
/// which hold the other nodes' WebSockets. Every method runs on the service thread (transport callbacks, mailbox
/// jobs); the bus's threads only post decoded messages here.
extension ChatServer {
    // MARK: Sending to a connection, local or on a relay

    /// Sends a frame to connection `c`: through this node's transport, or, for a relay's connection (leader), over
    /// the bus to that relay. Returns false when a local connection is unknown or was closed as a slow consumer.
    @discardableResult
    func sendFrame(_ bytes: [UInt8], to c: ConnectionID) -> Bool {
        if ClusterNode.isRemote(c) {
            queueCluster(.deliver([ClusterNode.localID(of: c)], bytes), to: ClusterNode.node(of: c))
            return true
        }
        return transport.send(bytes, to: c) == .queued
    }

    /// Sends one encoded frame to many connections: one shared buffer for the local ones, one bus operation per
    /// relay for the others.
    func sendFrame(_ bytes: [UInt8], to connections: [ConnectionID]) {
        var local: OutgoingMessage?
        var remote: [UInt16: [UInt64]] = [:]
        for c in connections {
            if ClusterNode.isRemote(c) {
                remote[ClusterNode.node(of: c), default: []].append(ClusterNode.localID(of: c))
            } else {
                if local == nil { local = OutgoingMessage(bytes) }
                _ = transport.send(local!, to: c)
            }
        }
        for (node, ids) in remote { queueCluster(.deliver(ids, bytes), to: node) }
    }

    /// Closes connection `c` after what was sent to it: here, or on its relay.
    func closeConnection(_ c: ConnectionID, code: UInt16, reason: String) {
        if ClusterNode.isRemote(c) {
            queueCluster(.close(ClusterNode.localID(of: c), code: code, reason: reason), to: ClusterNode.node(of: c))
        } else {
            transport.close(c, code: code, reason: reason)
        }
    }

    // MARK: The bus

    /// Queues `op` for node `node` (0: the leader, from a relay); published at the end of this loop turn, with
    /// whatever else is queued for that node, as one bus message.
    func queueCluster(_ op: ClusterOp, to node: UInt16) {
        guard let cluster = clusterNode else { return }
        cluster.outbound[node, default: []].append(op)
        guard !cluster.flushScheduled else { return }
        cluster.flushScheduled = true
        mailbox.post { [unowned self] in self.flushCluster() }
    }

    func flushCluster() {
        guard let cluster = clusterNode else { return }
        cluster.flushScheduled = false
        guard !cluster.outbound.isEmpty else { return }
        var messages: [(channel: String, payload: [UInt8])] = []
        for (node, ops) in cluster.outbound {
            let channel = node == 0 ? cluster.settings.leaderChannel : cluster.settings.nodeChannel(Int(node))
            messages.append((channel, cluster.message(ops, on: channel).encoded()))
        }
        cluster.outbound = [:]
        if cluster.bus?.publish(messages) != true {
            // The bus cannot take them (Redis unreachable for a while): the frames are lost, so the connections
            // they were for must start over; their clients resume with sync (nothing acknowledged is lost).
            logger.error("cluster bus refused messages; resetting the connections they were for")
            if cluster.isRelay { closeRelayedConnections(reason: "cluster_bus_full") } else { dropRelays(reason: "cluster_bus_full") }
        }
    }

    /// Bus thread → service thread: one message arrived.
    func clusterMessageArrived(channel: String, payload: [UInt8]) {
        guard let cluster = clusterNode else { return }
        guard let message = ClusterMessage.decode(payload) else {
            logger.error("malformed cluster bus message ignored", metadata: ["cluster.channel": "\(channel)"])
            return
        }
        if message.node == cluster.nodeNumber && message.incarnation == cluster.incarnation { return }  // our own
        switch cluster.check(message, on: channel) {
        case .duplicate:
            return
        case .gap:
            // Messages from that node were lost: the connections they concerned start over.
            logger.warning("cluster bus messages lost; resetting connections", metadata: [
                "cluster.node": "\(message.node)", "cluster.channel": "\(channel)"])
            if cluster.isRelay {
                if channel != cluster.settings.broadcastChannel { closeRelayedConnections(reason: "cluster_bus_lost") }
            } else {
                resetRelay(message.node, reason: "cluster_bus_lost")
            }
        case .next:
            break
        }
        switch cluster.role {
        case .leader(let generation):
            guard channel == cluster.settings.leaderChannel, message.generation == generation else { return }
            leaderReceived(message, cluster)
        case .relay:
            if channel == cluster.settings.broadcastChannel {
                leaderHeard(generation: message.generation, cluster)
            } else if channel == cluster.settings.nodeChannel(cluster.settings.node),
                      message.generation == cluster.leaderGeneration {
                relayReceived(message, cluster)
            }
        case .standalone:
            return
        }
    }

    /// Bus thread → service thread: the subscription was lost (messages may have been lost) or restored.
    func clusterBusConnection(_ connected: Bool) {
        guard let cluster = clusterNode else { return }
        logger.notice(connected ? "cluster bus connected" : "cluster bus disconnected")
        guard !connected else { return }
        if cluster.isRelay {
            closeRelayedConnections(reason: "cluster_bus_lost")
            cluster.leaderGeneration = nil
        } else {
            dropRelays(reason: "cluster_bus_lost")
        }
    }

    /// Every `heartbeatSeconds` (mailbox job from the heartbeat thread): say this node is alive, and give up on
    /// peers not heard from for `nodeTimeoutSeconds`.
    func clusterTick() {
        guard let cluster = clusterNode else { return }
        let now = Date()
        let timeout = cluster.settings.nodeTimeoutSeconds
        if cluster.isRelay {
            if cluster.leaderGeneration != nil, now.timeIntervalSince(cluster.leaderLastSeen) > timeout {
                logger.warning("leader not heard from; closing relayed connections", metadata: [
                    "cluster.generation": "\(cluster.leaderGeneration ?? 0)"])
                closeRelayedConnections(reason: "cluster_leader_lost")
                cluster.leaderGeneration = nil
            }
            if cluster.leaderGeneration != nil { queueCluster(.alive, to: 0) }
        } else {
            let channel = cluster.settings.broadcastChannel
            _ = cluster.bus?.publish([(channel, cluster.message([.alive], on: channel).encoded())])
            for (node, peer) in cluster.relays where now.timeIntervalSince(peer.lastSeen) > timeout {
                logger.warning("relay node not heard from; dropping its connections", metadata: [
                    "cluster.node": "\(node)", "cluster.connections": "\(peer.connections.count)"])
                forgetRelay(node)
            }
        }
    }

    // MARK: Leader side

    private func leaderReceived(_ message: ClusterMessage, _ cluster: ClusterNode) {
        let node = message.node
        let now = Date()
        if let peer = cluster.relays[node], peer.incarnation != message.incarnation {
            forgetRelay(node)  // restarted: its old connections are gone
        }
        if cluster.relays[node] == nil {
            cluster.relays[node] = RelayPeer(incarnation: message.incarnation, lastSeen: now)
        }
        cluster.relays[node]?.lastSeen = now
        for op in message.ops {
            switch op {
            case .opened(let local):
                let c = ClusterNode.globalID(node: node, local: local)
                cluster.relays[node]?.connections.insert(c)
                transport(transport, didOpen: c, path: "/ws")
            case let .text(local, bytes):
                let c = ClusterNode.globalID(node: node, local: local)
                guard cluster.relays[node]?.connections.contains(c) == true else { continue }
                bytes.withUnsafeBytes { transport(transport, didReceiveText: $0, from: c) }
            case .binary(let local):
                let c = ClusterNode.globalID(node: node, local: local)
                guard cluster.relays[node]?.connections.contains(c) == true else { continue }
                transport(transport, didReceiveBinaryFrom: c)
            case .closed(let local):
                let c = ClusterNode.globalID(node: node, local: local)
                guard cluster.relays[node]?.connections.remove(c) != nil else { continue }
                transport(transport, didClose: c)
            case let .ticketChanged(number, change):
                announceStoredTicket(number, change: change)
            case .logout(let hash):
                closeConnections(usingTokenHash: hash)
            case .alive, .deliver, .close:
                continue
            }
        }
    }

    /// The engine forgets every connection of relay `node` (it died, restarted, or messages to it were lost).
    private func forgetRelay(_ node: UInt16) {
        guard let peer = clusterNode?.relays.removeValue(forKey: node) else { return }
        for c in peer.connections.sorted() { transport(transport, didClose: c) }
    }

    /// Leader: messages to or from the relays may have been lost: forget their connections and tell the relays to
    /// close them, so that their clients reconnect and resume.
    private func dropRelays(reason: String) {
        guard let cluster = clusterNode else { return }
        for node in cluster.relays.keys.sorted() { resetRelay(node, reason: reason) }
    }

    /// Leader: forget relay `node`'s connections and tell it to close them (their clients reconnect and resume).
    private func resetRelay(_ node: UInt16, reason: String) {
        guard let peer = clusterNode?.relays[node] else { return }
        for c in peer.connections.sorted() {
            queueCluster(.close(ClusterNode.localID(of: c), code: 1012, reason: reason), to: node)
        }
        forgetRelay(node)
    }

    /// Reads ticket `number` and tells the engine's followers it changed (the change was made through another
    /// node's HTTP API).
    private func announceStoredTicket(_ number: Int64, change: TicketNoticeKind) {
        let store = self.store
        _ = workers.submit { [unowned self] in
            guard let ticket = try? store.ticket(number: number) else { return }
            self.mailbox.post { self.apply(self.engine.ticketChanged(ticket, change: change)) }
        }
    }

    // MARK: Relay side

    private func leaderHeard(generation: Int64, _ cluster: ClusterNode) {
        cluster.leaderLastSeen = Date()
        guard cluster.leaderGeneration != generation else { return }
        if cluster.leaderGeneration != nil {
            // A new leader knows none of the connections relayed to the old one.
            closeRelayedConnections(reason: "cluster_leader_changed")
        }
        logger.notice("relaying to the leader", metadata: ["cluster.generation": "\(generation)"])
        cluster.leaderGeneration = generation
    }

    private func relayReceived(_ message: ClusterMessage, _ cluster: ClusterNode) {
        for op in message.ops {
            switch op {
            case let .deliver(ids, bytes):
                var frame: OutgoingMessage?
                for c in ids where cluster.relayed[c] == cluster.leaderGeneration {
                    if frame == nil { frame = OutgoingMessage(bytes) }
                    _ = transport.send(frame!, to: c)
                }
            case let .close(c, code, reason):
                if cluster.relayed[c] != nil { transport.close(c, code: code, reason: reason) }
            default:
                continue
            }
        }
    }

    /// Closes every WebSocket this relay holds (1012: service restart); their clients reconnect and resume.
    func closeRelayedConnections(reason: String) {
        guard let cluster = clusterNode else { return }
        for c in cluster.relayed.keys.sorted() { transport.close(c, code: 1012, reason: reason) }
        cluster.relayed = [:]
    }

    /// Relay: the transport callbacks of local WebSockets, relayed to the leader. True when handled (this node is a
    /// relay); the caller then does nothing else.
    func relayOpened(_ c: ConnectionID) -> Bool {
        guard let cluster = clusterNode, cluster.isRelay else { return false }
        guard let generation = cluster.leaderGeneration else {
            transport.close(c, code: 1013, reason: "cluster_no_leader")
            return true
        }
        cluster.relayed[c] = generation
        queueCluster(.opened(c), to: 0)
        return true
    }

    func relayText(_ bytes: UnsafeRawBufferPointer, from c: ConnectionID) -> Bool {
        guard let cluster = clusterNode, cluster.isRelay else { return false }
        if cluster.relayed[c] != nil, cluster.relayed[c] == cluster.leaderGeneration {
            queueCluster(.text(c, Array(bytes)), to: 0)
        }
        return true
    }

    func relayBinary(from c: ConnectionID) -> Bool {
        guard let cluster = clusterNode, cluster.isRelay else { return false }
        if cluster.relayed[c] != nil, cluster.relayed[c] == cluster.leaderGeneration { queueCluster(.binary(c), to: 0) }
        return true
    }

    func relayClosed(_ c: ConnectionID) -> Bool {
        guard let cluster = clusterNode, cluster.isRelay else { return false }
        if let generation = cluster.relayed.removeValue(forKey: c), generation == cluster.leaderGeneration {
            queueCluster(.closed(c), to: 0)
        }
        return true
    }

    // MARK: HTTP work the engine must hear of

    /// A ticket changed through this node's HTTP API: the engine tells the followers (here, or on the leader).
    func announceTicketChange(_ ticket: Ticket, change: TicketNoticeKind) {
        if let cluster = clusterNode, cluster.isRelay {
            queueCluster(.ticketChanged(number: ticket.number, change: change), to: 0)
        } else {
            apply(engine.ticketChanged(ticket, change: change))
        }
    }

    /// A staff member logged out through this node: close their WebSockets with that token, wherever the engine is.
    func announceLogout(tokenHash: String) {
        if let cluster = clusterNode, cluster.isRelay {
            queueCluster(.logout(tokenHash: tokenHash), to: 0)
        } else {
            closeConnections(usingTokenHash: tokenHash)
        }
    }

    // MARK: Life cycle

    /// Starts the bus and the heartbeat (cluster mode only). Call from `start()`.
    func startCluster(busFactory: ClusterBusFactory?) {
        guard let cluster = clusterNode, let busFactory else { return }
        let settings = cluster.settings
        let channels = [settings.leaderChannel, settings.broadcastChannel, settings.nodeChannel(settings.node)]
        let bus = busFactory(channels, { [unowned self] channel, payload in
            self.mailbox.post { self.clusterMessageArrived(channel: channel, payload: payload) }
        }, { [unowned self] connected in
            self.mailbox.post { self.clusterBusConnection(connected) }
        })
        cluster.bus = bus
        bus.start()
        clusterHeartbeat.start { [unowned self] in self.mailbox.post { self.clusterTick() } }
        if case .leader = cluster.role { mailbox.post { [unowned self] in self.clusterTick() } }
    }

    /// Stops the heartbeat and the bus. Call after the service loop ended.
    func stopCluster() {
        clusterHeartbeat.stop()
        clusterNode?.bus?.stop()
    }
}
