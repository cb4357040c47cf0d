import ChatCore
import Foundation
import GRDB

/// Which chats analytics cover: created in `[from, to)`, optionally of one organization, product or agent (chats
/// the agent handled). Plain value; safe on any thread.
public struct AnalyticsQuery: Sendable, Equatable {
    public var from: Date
    public var to: Date
    public var organizationID: OrganizationID?
    public var productID: String?
    public var agentID: StaffID?

    public init(from: Date, to: Date, organizationID: OrganizationID? = nil, productID: String? = nil,
                agentID: StaffID? = nil) {
        self.from = from
        self.to = to
        self.organizationID = organizationID
        self.productID = productID
        self.agentID = agentID
    }
}

/// p50 and p90 of a duration in seconds (nearest rank), over `count` chats that have it; nil without any.
public struct DurationFigures: Sendable, Equatable {
    public var count: Int
    public var p50: Double?
    public var p90: Double?
    public var mean: Double?
}

/// Figures of one agent, organization or product.
public struct AnalyticsBreakdown: Sendable, Equatable {
    public var key: String
    public var name: String
    public var chats: Int
    public var converted: Int
    public var meanWaitSeconds: Double?
    public var meanHandleSeconds: Double?
    public var csatAverage: Double?
    public var csatCount: Int
}

/// The figures of the Analytics tab (times in UTC). Plain value; safe on any thread.
public struct AnalyticsReport: Sendable, Equatable {
    public var chats: Int
    /// Chats that ended (closed or converted) and, of them, converted to a ticket.
    public var ended: Int
    public var converted: Int
    /// Chats per UTC day (`YYYY-MM-DD`), days without chats left out.
    public var chatsPerDay: [(day: String, chats: Int)]
    /// Chats by UTC weekday (0 = Sunday) and hour: 7 rows of 24.
    public var hourOfWeek: [[Int]]
    /// From the request to the first agent joining.
    public var wait: DurationFigures
    /// From the request to the first message of an agent.
    public var firstReply: DurationFigures
    /// From the first agent joining to the end.
    public var handle: DurationFigures
    public var csatAverage: Double?
    /// Ratings 1...5: how many of each.
    public var csatDistribution: [Int]
    /// Tickets created in the range: first response within its target, after it, none yet and still due.
    public var ticketFirstResponseMet: Int
    public var ticketFirstResponseMissed: Int
    public var ticketFirstResponsePending: Int
    public var perAgent: [AnalyticsBreakdown]
    public var perOrganization: [AnalyticsBreakdown]
    public var perProduct: [AnalyticsBreakdown]

    public static func == (a: AnalyticsReport, b: AnalyticsReport) -> Bool {
        a.chats == b.chats && a.ended == b.ended && a.converted == b.converted
            && a.chatsPerDay.map { "\($0.day)=\($0.chats)" } == b.chatsPerDay.map { "\($0.day)=\($0.chats)" }
            && a.hourOfWeek == b.hourOfWeek && a.wait == b.wait && a.firstReply == b.firstReply && a.handle == b.handle
            && a.csatAverage == b.csatAverage && a.csatDistribution == b.csatDistribution
            && a.ticketFirstResponseMet == b.ticketFirstResponseMet
            && a.ticketFirstResponseMissed == b.ticketFirstResponseMissed
            && a.ticketFirstResponsePending == b.ticketFirstResponsePending
            && a.perAgent == b.perAgent && a.perOrganization == b.perOrganization && a.perProduct == b.perProduct
    }
}

extension ChatStore {
    /// The analytics of the chats `query` selects, by SQL aggregates over the session rows (creation-time index;
    /// wait and reply times are kept on the rows by the index flush). `now` decides which tickets are still
    /// within their first-response target. Blocking; any thread but the lws service thread.
    public func analytics(_ query: AnalyticsQuery, now: Date) throws -> AnalyticsReport {
        var conditions = "s.created_at >= ? AND s.created_at < ?"
        var arguments: StatementArguments = [query.from.timeIntervalSince1970, query.to.timeIntervalSince1970]
        if let organizationID = query.organizationID {
            conditions += " AND s.organization_id = ?"
            arguments += [organizationID]
        }
        if let productID = query.productID {
            conditions += " AND s.product_id = ?"
            arguments += [productID]
        }
        if let agentID = query.agentID {
            conditions += " AND EXISTS (SELECT 1 FROM session_agents a WHERE a.agent_id = ? AND a.created_at = s.created_at AND a.session_id = s.id)"
            arguments += [agentID]
        }
        return try dbPool.read { db in
            let totals = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS chats, COUNT(*) FILTER (WHERE s.state = 'closed') AS ended,
                       COUNT(*) FILTER (WHERE s.ticket_number IS NOT NULL) AS converted,
                       AVG(s.csat_rating) AS csat
                FROM sessions s WHERE \(conditions)
                """, arguments: arguments)!
            var perDay: [(String, Int)] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT date(s.created_at, 'unixepoch') AS day, COUNT(*) FROM sessions s WHERE \(conditions)
                GROUP BY day ORDER BY day
                """, arguments: arguments) {
                perDay.append((row[0], row[1]))
            }
            var hourOfWeek = Array(repeating: Array(repeating: 0, count: 24), count: 7)
            for row in try Row.fetchAll(db, sql: """
                SELECT CAST(strftime('%w', s.created_at, 'unixepoch') AS INTEGER),
                       CAST(strftime('%H', s.created_at, 'unixepoch') AS INTEGER), COUNT(*)
                FROM sessions s WHERE \(conditions) GROUP BY 1, 2
                """, arguments: arguments) {
                hourOfWeek[row[0]][row[1]] = row[2]
            }
            var distribution = [0, 0, 0, 0, 0]
            for row in try Row.fetchAll(db, sql: """
                SELECT s.csat_rating, COUNT(*) FROM sessions s WHERE \(conditions) AND s.csat_rating BETWEEN 1 AND 5
                GROUP BY 1
                """, arguments: arguments) {
                distribution[(row[0] as Int) - 1] = row[1]
            }
            let tickets = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) FILTER (WHERE t.first_responded_at IS NOT NULL AND t.first_responded_at <= t.first_response_due),
                       COUNT(*) FILTER (WHERE t.first_responded_at > t.first_response_due
                                        OR t.first_responded_at IS NULL AND t.first_response_due < ?),
                       COUNT(*) FILTER (WHERE t.first_responded_at IS NULL AND t.first_response_due >= ?)
                FROM tickets t WHERE t.created_at >= ? AND t.created_at < ?
                    \(query.organizationID == nil ? "" : "AND t.organization_id = ?")
                    \(query.productID == nil ? "" : "AND t.product_id = ?")
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, query.from.timeIntervalSince1970,
                                 query.to.timeIntervalSince1970]
                    + (query.organizationID.map { [$0] } ?? []) + (query.productID.map { [$0] } ?? []))!
            return AnalyticsReport(
                chats: totals["chats"], ended: totals["ended"], converted: totals["converted"],
                chatsPerDay: perDay, hourOfWeek: hourOfWeek,
                wait: try Self.durations(db, "s.first_joined_at - s.created_at", conditions, arguments),
                firstReply: try Self.durations(db, "s.first_agent_reply_at - s.created_at", conditions, arguments),
                handle: try Self.durations(db, "s.closed_at - s.first_joined_at", conditions, arguments),
                csatAverage: totals["csat"], csatDistribution: distribution,
                ticketFirstResponseMet: tickets[0], ticketFirstResponseMissed: tickets[1],
                ticketFirstResponsePending: tickets[2],
                perAgent: try Self.breakdown(db, key: "CAST(s.agent_id AS TEXT)", name: "MAX(s.agent_name)",
                                             conditions + " AND s.agent_id IS NOT NULL", arguments),
                perOrganization: try Self.breakdown(db, key: "s.organization_id",
                                                    name: "COALESCE((SELECT name FROM organizations o WHERE o.id = s.organization_id), s.organization_id)",
                                                    conditions, arguments),
                perProduct: try Self.breakdown(db, key: "s.product_id", name: "s.product_id", conditions, arguments))
        }
    }

    /// Nearest-rank p50 and p90 and the mean of a duration expression over the selected rows that have it.
    static func durations(_ db: Database, _ expression: String, _ conditions: String,
                          _ arguments: StatementArguments) throws -> DurationFigures {
        let values = try Double.fetchAll(db, sql: """
            SELECT \(expression) AS d FROM sessions s WHERE \(conditions) AND \(expression) IS NOT NULL ORDER BY d
            """, arguments: arguments)
        guard !values.isEmpty else { return DurationFigures(count: 0, p50: nil, p90: nil, mean: nil) }
        func rank(_ p: Double) -> Double { values[max(0, Int((p * Double(values.count)).rounded(.up)) - 1)] }
        return DurationFigures(count: values.count, p50: rank(0.5), p90: rank(0.9),
                               mean: values.reduce(0, +) / Double(values.count))
    }

    static func breakdown(_ db: Database, key: String, name: String, _ conditions: String,
                          _ arguments: StatementArguments) throws -> [AnalyticsBreakdown] {
        try Row.fetchAll(db, sql: """
            SELECT \(key) AS k, \(name) AS n, COUNT(*) AS chats, COUNT(*) FILTER (WHERE s.ticket_number IS NOT NULL) AS converted,
                   AVG(s.first_joined_at - s.created_at) AS wait, AVG(s.closed_at - s.first_joined_at) AS handle,
                   AVG(s.csat_rating) AS csat, COUNT(s.csat_rating) AS rated
            FROM sessions s WHERE \(conditions) GROUP BY k ORDER BY chats DESC, k
            """, arguments: arguments).map { row in
            AnalyticsBreakdown(key: row["k"], name: row["n"], chats: row["chats"], converted: row["converted"],
                               meanWaitSeconds: row["wait"], meanHandleSeconds: row["handle"],
                               csatAverage: row["csat"], csatCount: row["rated"])
        }
    }
}
