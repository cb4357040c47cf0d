import ChatCore
import ChatStorage
import Foundation

/// The formats of one transcript's export (`GET /api/transcripts/{id}/export?format=`). Pure: each builds the
/// head (header lines, service orders), one page of events, and the tail; `TranscriptExportBody` streams them.
enum TranscriptExportFormat: String, Sendable, CaseIterable {
    case text, json, html

    var contentType: String {
        switch self {
        case .text: return "text/plain; charset=utf-8"
        case .json: return "application/json"
        case .html: return "text/html; charset=utf-8"
        }
    }

    var fileExtension: String { self == .text ? "txt" : rawValue }

    /// The HTML page takes its print styles from the server's stylesheet and runs nothing.
    static let htmlContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func head(_ header: TranscriptHeader, exportedBy: String, at: Date) -> [UInt8] {
        switch self {
        case .text:
            var out = "Transcript of chat \(header.record.id): \(header.record.subject)\n"
            for line in header.lines.dropFirst() { out += "\(line.label): \(line.value)\n" }
            if !header.orders.isEmpty {
                out += "Service orders:\n"
                for (i, order) in header.orders.enumerated() { out += "  \(i + 1). \(header.orderText(order))\n" }
            }
            out += "Exported \(ISOTime.format(at)) by \(exportedBy)\n\n"
            return Array(out.utf8)
        case .json:
            var json = JSONWriter()
            json.beginObject()
            json.key("session"); json.beginObject()
            WireEncoding.write(header.record, into: &json)
            json.field("organizationName", header.organizationName)
            json.field("productName", header.productName)
            json.field("lastSeq", header.lastSeq)
            json.endObject()
            json.key("summary"); header.writeSummary(into: &json)
            json.key("serviceOrders"); json.beginArray()
            for order in header.orders { ChatServer.write(order, proposedByName: header.staffNames[order.proposedBy], into: &json) }
            json.endArray()
            json.field("exportedAt", date: at)
            json.field("exportedBy", exportedBy)
            json.endObject()
            // The object stays open for the events: drop its closing brace and open the array.
            var bytes = json.bytes
            bytes.removeLast()
            bytes.append(contentsOf: Array(",\"events\":[".utf8))
            return bytes
        case .html:
            let h = Self.escape
            var out = """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8">
                <title>Transcript of chat \(header.record.id): \(h(header.record.subject))</title>
                <link rel="stylesheet" href="/css/transcript-print.css">
                </head><body class="transcript-print"><main>
                <h1>Transcript of chat \(header.record.id): \(h(header.record.subject))</h1>
                <dl class="transcript-head">

                """
            for line in header.lines.dropFirst() { out += "<dt>\(h(line.label))</dt><dd>\(h(line.value))</dd>\n" }
            out += "</dl>\n"
            if !header.orders.isEmpty {
                out += "<h2>Service orders</h2><ol class=\"orders\">\n"
                for order in header.orders { out += "<li>\(h(header.orderText(order)))</li>\n" }
                out += "</ol>\n"
            }
            out += "<p class=\"exported\">Exported \(h(ISOTime.format(at))) by \(h(exportedBy))</p>\n<h2>Conversation</h2>\n<ol class=\"events\">\n"
            return Array(out.utf8)
        }
    }

    func events(_ events: [SessionEvent], first: Bool) -> [UInt8] {
        switch self {
        case .text:
            var out = ""
            for event in events {
                let body = event.text ?? event.kind.rawValue.replacingOccurrences(of: "_", with: " ")
                let indented = body.replacingOccurrences(of: "\n", with: "\n    ")
                if let file = Self.attachmentLine(event) {
                    out += "[\(ISOTime.format(event.at))] \(event.author.name) (\(event.author.role.rawValue)) attached \(file)\n"
                } else if Self.isMessage(event) {
                    out += "[\(ISOTime.format(event.at))] \(event.author.name) (\(event.author.role.rawValue)): \(indented)\n"
                } else {
                    out += "[\(ISOTime.format(event.at))] * \(indented)\n"
                }
            }
            return Array(out.utf8)
        case .json:
            var bytes: [UInt8] = []
            for (i, event) in events.enumerated() {
                if !(first && i == 0) { bytes.append(UInt8(ascii: ",")) }
                var json = JSONWriter()
                WireEncoding.write(event, into: &json)
                bytes.append(contentsOf: json.bytes)
            }
            return bytes
        case .html:
            let h = Self.escape
            var out = ""
            for event in events {
                let kind = h(event.kind.rawValue)
                let who = Self.isMessage(event) ? "\(h(event.author.name)) (\(h(event.author.role.rawValue)))" : "·"
                let text = Self.attachmentLine(event).map { "attached " + h($0) }
                    ?? event.text.map(h) ?? kind.replacingOccurrences(of: "_", with: " ")
                out += "<li class=\"\(Self.isMessage(event) ? "message" : "system") \(kind)\"><span class=\"at\">\(h(ISOTime.format(event.at)))</span> <span class=\"who\">\(who)</span> <span class=\"text\">\(text)</span></li>\n"
            }
            return Array(out.utf8)
        }
    }

    var tail: [UInt8] {
        switch self {
        case .text: return Array("\n— end of transcript —\n".utf8)
        case .json: return Array("]}".utf8)
        case .html: return Array("</ol>\n<p class=\"end\">End of transcript.</p>\n</main></body></html>\n".utf8)
        }
    }

    static func isMessage(_ event: SessionEvent) -> Bool {
        event.kind == .message || event.kind == .requested || event.kind == .attachment
    }

    /// "name (size, type[, WxH]) <download path>" for an `attachment` event (the file itself is not embedded).
    static func attachmentLine(_ event: SessionEvent) -> String? {
        guard let file = event.attachment else { return nil }
        let size = file.size < 1024 ? "\(file.size) B" : file.size < 1 << 20
            ? String(format: "%.1f KB", Double(file.size) / 1024) : String(format: "%.1f MB", Double(file.size) / 1048576)
        let dimensions = file.width.flatMap { w in file.height.map { ", \(w)x\($0)" } } ?? ""
        return "\(file.name) (\(size), \(file.type)\(dimensions)) /api/attachments/"
            + AttachmentInfo.downloadID(sessionID: event.sessionID, seq: event.seq)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// One transcript's export, streamed: the head on the first page, then the events a page at a time (read by
/// `historyPage`, filtered by `SessionAccess.mayReceive`), then the tail. Worker threads only, one page at a time
/// (see `PagedBody`).
final class TranscriptExportBody: PagedBody, @unchecked Sendable {
    static let eventsPerPage = 200

    private let store: any StorageBackend
    private let principal: Principal
    private let format: TranscriptExportFormat
    private let header: TranscriptHeader
    private let exportedBy: String
    private let exportedAt: Date
    private var afterSeq: Seq?   // nil: the head is not written yet
    private var wroteEvent = false

    init(store: any StorageBackend, principal: Principal, format: TranscriptExportFormat, header: TranscriptHeader,
         exportedBy: String, exportedAt: Date) {
        self.store = store
        self.principal = principal
        self.format = format
        self.header = header
        self.exportedBy = exportedBy
        self.exportedAt = exportedAt
    }

    func nextPage() throws -> (bytes: [UInt8], isLast: Bool) {
        var bytes: [UInt8] = []
        if afterSeq == nil {
            bytes = format.head(header, exportedBy: exportedBy, at: exportedAt)
            afterSeq = 0
        }
        let page = try store.historyPage(sessionID: header.record.id, afterSeq: afterSeq ?? 0,
                                         limit: Self.eventsPerPage) { _ in true }
        let visible = page.events.filter { SessionAccess.mayReceive(principal, $0.kind) }
        bytes += format.events(visible, first: !wroteEvent)
        if !visible.isEmpty { wroteEvent = true }
        afterSeq = page.events.last?.seq ?? afterSeq
        if page.isLast { bytes += format.tail }
        return (bytes, page.isLast)
    }
}
