import ArgumentParser
import ChatCore
import ChatService
import ChatStorage
import Foundation

/// `chatd admin audit`: prints the audit log of staff transcript reads, listings and exports, newest first, one
/// tab-separated line each (id, time, staff, role, action, target, detail, address). Read-only; safe while the
/// server runs.
struct AuditLog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print the audit log of transcript reads, listings and exports by staff (newest first).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Only this staff member (login name).") var staff: String?
    @Option(help: "Only this action: \(AuditAction.allCases.map(\.rawValue).joined(separator: ", ")).") var action: String?
    @Option(help: "From this ISO 8601 date or time (inclusive).") var from: String?
    @Option(help: "Until this ISO 8601 date or time (exclusive).") var to: String?
    @Option(help: "At most this many entries (0: all).") var limit: Int = 100
    @Flag(help: "Print JSON lines instead of tab-separated text.") var json = false

    func run() throws {
        let store = try openStore(try common.load())
        var filter = AuditFilter(limit: AuditFilter.maxLimit)
        if let staff {
            guard let account = try store.staffAccount(username: staff) else { throw ValidationError("No staff member \"\(staff)\".") }
            filter.staffID = account.identity.id
        }
        if let action {
            guard let parsed = AuditAction(rawValue: action) else {
                throw ValidationError("Unknown action \"\(action)\". Actions: \(AuditAction.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            filter.action = parsed
        }
        for (text, name) in [(from, "from"), (to, "to")] {
            guard let text else { continue }
            guard let date = ISOTime.parse(text) else { throw ValidationError("--\(name) must be an ISO 8601 date such as 2026-11-21.") }
            if name == "from" { filter.from = date } else { filter.to = date }
        }
        var printed = 0
        if !json { print("id\tat\tstaff\trole\taction\ttarget\tdetail\taddress") }
        while true {
            let page = try store.auditEntries(matching: filter)
            for entry in page.entries {
                if limit > 0 && printed >= limit { return }
                print(json ? Self.jsonLine(entry) : Self.textLine(entry))
                printed += 1
            }
            guard let next = page.nextBefore else { return }
            filter.beforeID = next
        }
    }

    static func textLine(_ e: AuditEntry) -> String {
        [String(e.id), ISOTime.format(e.at), "\(e.staffName) (\(e.staffID))", e.staffRole.rawValue, e.action.rawValue,
         e.target ?? "-", e.detail ?? "-", e.address.isEmpty ? "-" : e.address]
            .map { $0.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") }
            .joined(separator: "\t")
    }

    static func jsonLine(_ e: AuditEntry) -> String {
        let object: [String: Any] = [
            "id": e.id, "at": ISOTime.format(e.at), "staffId": e.staffID, "staffName": e.staffName,
            "role": e.staffRole.rawValue, "action": e.action.rawValue, "target": e.target ?? NSNull(),
            "detail": e.detail ?? NSNull(), "address": e.address,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
