import ChatCore
import Foundation

// Analytics on PostgreSQL: SQL aggregates over the session rows (wait and reply times are kept on them by the
// writer), the same figures as SQLite's (ChatStore+Analytics.swift). Percentiles are nearest-rank, which is
// exactly `percentile_disc` (the smallest value whose rank reaches p·n), so both backends report the same p50/p90.
// Days, weekdays and hours are UTC.
//
// Threading: blocking, thread-safe (a pooled connection per call, one read-only snapshot); never on the lws
// service thread.
extension PostgresStore {
    /// The analytics of the chats `query` selects; `now` decides which tickets are still within their target.
    public func analytics(_ query: AnalyticsQuery, now: Date) throws -> AnalyticsReport {
        var statement = PGStatement()
        var conditions = "s.created_at >= \(statement.bind(pg(query.from))) AND s.created_at < \(statement.bind(pg(query.to)))"
        if let organizationID = query.organizationID {
            conditions += " AND s.organization_id = \(statement.bind(.text(organizationID)))"
        }
        if let productID = query.productID { conditions += " AND s.product_id = \(statement.bind(.text(productID)))" }
        if let agentID = query.agentID {
            conditions += """
                 AND EXISTS (SELECT 1 FROM session_agents a WHERE a.agent_id = \(statement.bind(.int(agentID)))
                             AND a.created_at = s.created_at AND a.session_id = s.id)
                """
        }
        let p = statement.parameters
        var ticketStatement = PGStatement()
        let nowMark = ticketStatement.bind(pg(now))
        var ticketConditions = "t.created_at >= \(ticketStatement.bind(pg(query.from))) AND t.created_at < \(ticketStatement.bind(pg(query.to)))"
        if let organizationID = query.organizationID {
            ticketConditions += " AND t.organization_id = \(ticketStatement.bind(.text(organizationID)))"
        }
        if let productID = query.productID {
            ticketConditions += " AND t.product_id = \(ticketStatement.bind(.text(productID)))"
        }
        return try pool.with { connection in
            try connection.transaction { c in
                try c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                let totals = try c.execute("""
                    SELECT COUNT(*), COUNT(*) FILTER (WHERE s.state = 'closed'),
                           COUNT(*) FILTER (WHERE s.ticket_number IS NOT NULL), AVG(s.csat_rating::double precision)
                    FROM sessions s WHERE \(conditions)
                    """, p)
                let perDayRows = try c.execute("""
                    SELECT to_char(to_timestamp(s.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*)
                    FROM sessions s WHERE \(conditions) GROUP BY day ORDER BY day
                    """, p)
                let perDay = (0..<perDayRows.count).map { (perDayRows.string($0, 0) ?? "", Int(perDayRows.int($0, 1) ?? 0)) }
                var hourOfWeek = Array(repeating: Array(repeating: 0, count: 24), count: 7)
                let hours = try c.execute("""
                    SELECT extract(dow FROM to_timestamp(s.created_at) AT TIME ZONE 'UTC')::int,
                           extract(hour FROM to_timestamp(s.created_at) AT TIME ZONE 'UTC')::int, COUNT(*)
                    FROM sessions s WHERE \(conditions) GROUP BY 1, 2
                    """, p)
                for i in 0..<hours.count {
                    if let day = hours.int(i, 0), let hour = hours.int(i, 1) {
                        hourOfWeek[Int(day)][Int(hour)] = Int(hours.int(i, 2) ?? 0)
                    }
                }
                var distribution = [0, 0, 0, 0, 0]
                let ratings = try c.execute("""
                    SELECT s.csat_rating, COUNT(*) FROM sessions s WHERE \(conditions) AND s.csat_rating BETWEEN 1 AND 5
                    GROUP BY 1
                    """, p)
                for i in 0..<ratings.count {
                    if let rating = ratings.int(i, 0) { distribution[Int(rating) - 1] = Int(ratings.int(i, 1) ?? 0) }
                }
                let tickets = try c.execute("""
                    SELECT COUNT(*) FILTER (WHERE t.first_responded_at IS NOT NULL AND t.first_responded_at <= t.first_response_due),
                           COUNT(*) FILTER (WHERE t.first_responded_at > t.first_response_due
                                            OR t.first_responded_at IS NULL AND t.first_response_due < \(nowMark)),
                           COUNT(*) FILTER (WHERE t.first_responded_at IS NULL AND t.first_response_due >= \(nowMark))
                    FROM tickets t WHERE \(ticketConditions)
                    """, ticketStatement.parameters)
                return AnalyticsReport(
                    chats: Int(totals.int(0, 0) ?? 0), ended: Int(totals.int(0, 1) ?? 0),
                    converted: Int(totals.int(0, 2) ?? 0),
                    chatsPerDay: perDay, hourOfWeek: hourOfWeek,
                    wait: try Self.durations(c, "s.first_joined_at - s.created_at", conditions, p),
                    firstReply: try Self.durations(c, "s.first_agent_reply_at - s.created_at", conditions, p),
                    handle: try Self.durations(c, "s.closed_at - s.first_joined_at", conditions, p),
                    csatAverage: totals.double(0, 3), csatDistribution: distribution,
                    ticketFirstResponseMet: Int(tickets.int(0, 0) ?? 0),
                    ticketFirstResponseMissed: Int(tickets.int(0, 1) ?? 0),
                    ticketFirstResponsePending: Int(tickets.int(0, 2) ?? 0),
                    perAgent: try Self.breakdown(c, key: "s.agent_id::text", name: "MAX(s.agent_name)",
                                                 conditions + " AND s.agent_id IS NOT NULL", p),
                    perOrganization: try Self.breakdown(
                        c, key: "s.organization_id",
                        name: "MIN(COALESCE((SELECT o.name FROM organizations o WHERE o.id = s.organization_id), s.organization_id))",
                        conditions, p),
                    perProduct: try Self.breakdown(c, key: "s.product_id", name: "MIN(s.product_id)", conditions, p))
            }
        }
    }

    /// Nearest-rank p50 and p90 (`percentile_disc`) and the mean of a duration over the selected rows that have it.
    static func durations(_ c: PGConnection, _ expression: String, _ conditions: String,
                          _ parameters: [PGValue?]) throws -> DurationFigures {
        let rows = try c.execute("""
            SELECT COUNT(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY d), percentile_disc(0.9) WITHIN GROUP (ORDER BY d),
                   AVG(d)
            FROM (SELECT \(expression) AS d FROM sessions s WHERE \(conditions) AND \(expression) IS NOT NULL) AS durations
            """, parameters)
        let count = Int(rows.int(0, 0) ?? 0)
        guard count > 0 else { return DurationFigures(count: 0, p50: nil, p90: nil, mean: nil) }
        return DurationFigures(count: count, p50: rows.double(0, 1), p90: rows.double(0, 2), mean: rows.double(0, 3))
    }

    /// One row per `key` (compared bytewise, as SQLite), `name` an aggregate over the group.
    static func breakdown(_ c: PGConnection, key: String, name: String, _ conditions: String,
                          _ parameters: [PGValue?]) throws -> [AnalyticsBreakdown] {
        let rows = try c.execute("""
            SELECT (\(key)) COLLATE "C" AS k, \(name) AS n, COUNT(*) AS chats,
                   COUNT(*) FILTER (WHERE s.ticket_number IS NOT NULL) AS converted,
                   AVG(s.first_joined_at - s.created_at) AS wait, AVG(s.closed_at - s.first_joined_at) AS handle,
                   AVG(s.csat_rating::double precision) AS csat, COUNT(s.csat_rating) AS rated
            FROM sessions s WHERE \(conditions) GROUP BY k ORDER BY chats DESC, k
            """, parameters)
        return (0..<rows.count).map { i in
            AnalyticsBreakdown(key: rows.string(i, "k") ?? "", name: rows.string(i, "n") ?? "",
                               chats: Int(rows.int(i, "chats") ?? 0), converted: Int(rows.int(i, "converted") ?? 0),
                               meanWaitSeconds: rows.double(i, "wait"), meanHandleSeconds: rows.double(i, "handle"),
                               csatAverage: rows.double(i, "csat"), csatCount: Int(rows.int(i, "rated") ?? 0))
        }
    }
}
