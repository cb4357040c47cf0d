import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// The analytics report as JSON and as CSV. Pure; any thread.
enum AnalyticsEncoding {
    /// Storage knows product ids only; their names are policy data (a product no longer in the policy keeps its id).
    static func nameProducts(_ report: inout AnalyticsReport, policy: SupportPolicy) {
        for index in report.perProduct.indices {
            report.perProduct[index].name = policy.product(report.perProduct[index].key)?.name ?? report.perProduct[index].key
        }
    }

    static func json(_ report: AnalyticsReport, _ query: AnalyticsQuery) -> HTTPResponse {
        HTTPReplies.json(200) { json in
            json.field("from", date: query.from)
            json.field("to", date: query.to)
            json.field("chats", report.chats)
            json.field("ended", report.ended)
            json.field("converted", report.converted)
            json.key("convertedShare"); optional(report.ended == 0 ? nil : Double(report.converted) / Double(report.ended), &json)
            json.key("chatsPerDay"); json.beginArray()
            for day in report.chatsPerDay {
                json.beginObject(); json.field("day", day.day); json.field("chats", day.chats); json.endObject()
            }
            json.endArray()
            json.key("hourOfWeek"); json.beginArray()
            for row in report.hourOfWeek {
                json.beginArray(); for count in row { json.int(count) }; json.endArray()
            }
            json.endArray()
            for (name, figures) in [("waitSeconds", report.wait), ("firstReplySeconds", report.firstReply),
                                    ("handleSeconds", report.handle)] {
                json.key(name); json.beginObject()
                json.field("count", figures.count)
                json.key("p50"); optional(figures.p50, &json)
                json.key("p90"); optional(figures.p90, &json)
                json.key("mean"); optional(figures.mean, &json)
                json.endObject()
            }
            json.key("csat"); json.beginObject()
            json.key("average"); optional(report.csatAverage, &json)
            json.key("distribution"); json.beginArray(); for count in report.csatDistribution { json.int(count) }; json.endArray()
            json.endObject()
            json.key("ticketFirstResponse"); json.beginObject()
            json.field("met", report.ticketFirstResponseMet)
            json.field("missed", report.ticketFirstResponseMissed)
            json.field("pending", report.ticketFirstResponsePending)
            json.endObject()
            for (name, rows) in [("perAgent", report.perAgent), ("perOrganization", report.perOrganization),
                                 ("perProduct", report.perProduct)] {
                json.key(name); json.beginArray()
                for row in rows {
                    json.beginObject()
                    json.field("key", row.key)
                    json.field("name", row.name)
                    json.field("chats", row.chats)
                    json.field("converted", row.converted)
                    json.key("meanWaitSeconds"); optional(row.meanWaitSeconds, &json)
                    json.key("meanHandleSeconds"); optional(row.meanHandleSeconds, &json)
                    json.key("csatAverage"); optional(row.csatAverage, &json)
                    json.field("csatCount", row.csatCount)
                    json.endObject()
                }
                json.endArray()
            }
        }
    }

    static func optional(_ value: Double?, _ json: inout JSONWriter) {
        if let value, value.isFinite { json.double((value * 1000).rounded() / 1000) } else { json.null() }
    }

    static let csvHeader = "section,key,name,chats,converted,value,mean_wait_seconds,mean_handle_seconds,csat_average,csat_count"

    /// One table: the summary figures (`value`), chats per day, then one row per agent, organization and product.
    static func csv(_ report: AnalyticsReport, _ query: AnalyticsQuery) -> HTTPResponse {
        var lines = [csvHeader]
        func number(_ value: Double?) -> String { value.map { String(($0 * 1000).rounded() / 1000) } ?? "" }
        func summary(_ key: String, _ value: String) { lines.append("summary,\(key),,,,\(value),,,,") }
        summary("from", ISOTime.format(query.from))
        summary("to", ISOTime.format(query.to))
        summary("chats", String(report.chats))
        summary("ended", String(report.ended))
        summary("converted", String(report.converted))
        for (name, figures) in [("wait", report.wait), ("first_reply", report.firstReply), ("handle", report.handle)] {
            summary("\(name)_p50_seconds", number(figures.p50))
            summary("\(name)_p90_seconds", number(figures.p90))
        }
        summary("csat_average", number(report.csatAverage))
        for (index, count) in report.csatDistribution.enumerated() { summary("csat_\(index + 1)", String(count)) }
        summary("ticket_first_response_met", String(report.ticketFirstResponseMet))
        summary("ticket_first_response_missed", String(report.ticketFirstResponseMissed))
        summary("ticket_first_response_pending", String(report.ticketFirstResponsePending))
        for day in report.chatsPerDay { lines.append("day,\(day.day),,\(day.chats),,,,,,") }
        for (section, rows) in [("agent", report.perAgent), ("organization", report.perOrganization),
                                ("product", report.perProduct)] {
            for row in rows {
                lines.append([section, cell(row.key), cell(row.name), String(row.chats), String(row.converted), "",
                              number(row.meanWaitSeconds), number(row.meanHandleSeconds), number(row.csatAverage),
                              String(row.csatCount)].joined(separator: ","))
            }
        }
        var response = HTTPResponse(status: 200, contentType: "text/csv; charset=utf-8",
                                    body: Array((lines.joined(separator: "\r\n") + "\r\n").utf8))
        response.headers["Content-Disposition"] = "attachment; filename=\"chat-analytics.csv\""
        return response
    }

    /// A CSV cell: quoted when it holds a comma, quote or line break; a leading =, +, - or @ is prefixed with
    /// an apostrophe so that a spreadsheet never runs a name as a formula.
    static func cell(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { ",\"\r\n".contains($0) }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
