import Foundation

/// An agent or supervisor as routing sees them. Confined to the engine's thread.
struct StaffMember {
    var identity: StaffIdentity
    var status: AgentStatus = .away
    var connections: Set<ConnectionID> = []
    /// Active sessions, in the order they were assigned.
    var active: [SessionID] = []
    /// When this member last received a session; the fair tie-breaker in routing.
    var lastAssignedAt: Date = .distantPast
    /// Set while the member has active sessions but no connection: when it passes, the sessions go back to the queue.
    var graceDeadline: Date?

    var ref: StaffRef { StaffRef(id: identity.id, name: identity.name) }
    var isConnected: Bool { !connections.isEmpty }
    var participant: Participant {
        Participant(role: identity.role == .supervisor ? .supervisor : .agent, id: String(identity.id), name: identity.name)
    }

    var load: AgentLoad {
        AgentLoad(agent: ref, status: status, connected: isConnected, activeSessions: active)
    }
}

/// A connection the engine knows: who it is and which sessions it follows.
struct ConnectionState {
    var principal: Principal
    var sessions: Set<SessionID> = []
}
