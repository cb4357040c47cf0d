import ChatCore
import ChatStorage
import Foundation

/// The CSV of a transcript listing (`GET /api/transcripts/export.csv`): every session of the (scoped) filter,
/// newest first, read by keyset pages and streamed; RFC 4180 quoting, CRLF line ends, UTF-8 without a BOM.
/// Worker threads only, one page at a time (see `PagedBody`).
final class TranscriptListCSVBody: PagedBody, @unchecked Sendable {
    static let rowsPerPage = 200
    static let columns = ["id", "created_at", "closed_at", "organization_id", "organization_name", "contact_id",
                          "customer_name", "customer_email", "product", "product_name", "subject", "agent", "state",
                          "outcome", "ticket_number", "messages", "duration_seconds"]

    private let store: any StorageBackend
    private let policy: SupportPolicy
    private var filter: TranscriptFilter
    private var wroteHeader = false

    init(store: any StorageBackend, policy: SupportPolicy, filter: TranscriptFilter) {
        self.store = store
        self.policy = policy
        var all = filter
        all.limit = Self.rowsPerPage
        all.offset = 0
        all.after = nil
        self.filter = all
    }

    func nextPage() throws -> (bytes: [UInt8], isLast: Bool) {
        var out = ""
        if !wroteHeader {
            out += Self.columns.joined(separator: ",") + "\r\n"
            wroteHeader = true
        }
        let page = try store.sessions(matching: filter)
        let names = try store.organizationNames(ids: Set(page.map(\.record.organizationID)))
        for summary in page {
            out += Self.row(summary, organizationName: names[summary.record.organizationID] ?? "",
                            productName: policy.product(summary.record.productID)?.name ?? "")
        }
        if let last = page.last { filter.after = TranscriptCursor(after: last.record) }
        return (Array(out.utf8), page.count < Self.rowsPerPage)
    }

    static func row(_ summary: TranscriptSummary, organizationName: String, productName: String) -> String {
        let r = summary.record
        let outcome = r.state != .closed ? "open" : (r.ticketNumber == nil ? "closed" : "converted")
        let duration = r.closedAt.map { String(Int($0.timeIntervalSince(r.createdAt).rounded())) } ?? ""
        let fields = [String(r.id), ISOTime.format(r.createdAt), r.closedAt.map(ISOTime.format) ?? "",
                      r.organizationID, organizationName, r.customer.contactID, r.customer.name, r.customer.email,
                      r.productID, productName, r.subject, r.agent?.name ?? "", r.state.rawValue, outcome,
                      r.ticketNumber.map(String.init) ?? "", String(summary.messageCount), duration]
        return fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// One CSV field. Text a spreadsheet would run as a formula (starting with = + - @, tab or CR) is prefixed
    /// with an apostrophe (OWASP "CSV injection"); fields with a comma, quote or line break are quoted.
    static func field(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(text) == nil {
            text = "'" + text
        }
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
