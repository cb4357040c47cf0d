import ChatCore
import Foundation
import GRDB

/// Reads for the supervisor's transcript reader and exports: totals, names instead of ids, and the facts of a
/// transcript's header. They read sessions, organizations and staff, and events only by (session_id, seq) order.
/// Blocking; any thread but the lws service thread.
extension ChatStore {
    /// How many sessions match `filter` in all (its limit, offset and cursor are ignored).
    public func countSessions(matching filter: TranscriptFilter) throws -> Int {
        let (sql, arguments) = Self.listingSQL(filter, counting: true)
        return try dbPool.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    /// Display names of these organizations, by id (unknown ids are left out).
    public func organizationNames(ids: Set<OrganizationID>) throws -> [OrganizationID: String] {
        guard !ids.isEmpty else { return [:] }
        let list = Array(ids)
        let marks = Array(repeating: "?", count: list.count).joined(separator: ",")
        return try dbPool.read { db in
            var names: [OrganizationID: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM organizations WHERE id IN (\(marks))",
                                        arguments: StatementArguments(list)) {
                names[row["id"]] = row["name"]
            }
            return names
        }
    }

    /// Organizations whose name or id starts with `prefix` (case-insensitively for ASCII letters), by name;
    /// at most `limit`. An empty prefix lists the first `limit` by name.
    public func organizations(matchingPrefix prefix: String, limit: Int) throws -> [(id: OrganizationID, name: String)] {
        let escaped = prefix.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        return try dbPool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, name FROM organizations
                WHERE name LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\'
                ORDER BY name COLLATE NOCASE, id LIMIT ?
                """, arguments: [escaped, escaped, max(1, limit)]).map { (id: $0["id"], name: $0["name"]) }
        }
    }

    /// Display names of these staff members, by id.
    public func staffNames(ids: Set<StaffID>) throws -> [StaffID: String] {
        guard !ids.isEmpty else { return [:] }
        let list = Array(ids)
        let marks = Array(repeating: "?", count: list.count).joined(separator: ",")
        return try dbPool.read { db in
            var names: [StaffID: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM staff WHERE id IN (\(marks))",
                                        arguments: StatementArguments(list)) {
                names[row["id"]] = row["name"]
            }
            return names
        }
    }

    /// The header facts of one transcript: when the first agent joined (the customer's wait) and every agent who
    /// handled it, in order of their first join or transfer. Reads the session's events in seq order, one
    /// `historyPage` at a time, only the kinds it needs kept.
    public func transcriptFacts(sessionID: SessionID) throws -> TranscriptFacts {
        var facts = TranscriptFacts()
        var seen = Set<StaffID>()
        var after: Seq = 0
        while true {
            let page = try historyPage(sessionID: sessionID, afterSeq: after, limit: 1000) { _ in true }
            for event in page.events where event.kind == .joined || event.kind == .transferred {
                if event.kind == .joined, facts.firstJoinedAt == nil { facts.firstJoinedAt = event.at }
                if let agent = event.agent, seen.insert(agent.id).inserted { facts.agents.append(agent) }
            }
            guard !page.isLast, let last = page.events.last?.seq else { return facts }
            after = last
        }
    }
}

/// What a transcript's header says beyond its session row. Plain value; any thread.
public struct TranscriptFacts: Sendable, Equatable {
    /// When the first agent joined: the customer waited from the chat's creation until then. Nil if none did.
    public var firstJoinedAt: Date?
    /// Everyone who handled the chat, in order.
    public var agents: [StaffRef] = []

    public init(firstJoinedAt: Date? = nil, agents: [StaffRef] = []) {
        self.firstJoinedAt = firstJoinedAt
        self.agents = agents
    }
}
