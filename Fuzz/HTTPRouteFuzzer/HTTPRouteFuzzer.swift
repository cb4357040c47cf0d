// libFuzzer target: HTTP route, query and body parsing (APIRoute, TranscriptQuery with its cursor, AuditQuery,
// TicketRoutes).
// Input: the first line is a request target "path?query" (split the way lws splits arguments: on '&', then on the
// first '='); the rest is a request body, given to every body parser.
// Built only by Scripts/fuzz (CHATD_FUZZ=1, -sanitize=fuzzer); see Fuzz/README.md.
@testable import ChatService
import ChatCore
import ChatTransport

private let policy = SupportPolicy.defaults

@_cdecl("LLVMFuzzerTestOneInput")
public func httpRouteFuzzer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    let lines = input.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false)
    let target = String(decoding: lines.first ?? [], as: UTF8.self)
    let body = lines.count > 1 ? Array(lines[1]) : []
    let pieces = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    let path = String(pieces.first ?? "")
    var query: [String: String] = [:]
    if pieces.count > 1 {
        for fragment in pieces[1].split(separator: "&") {
            if let eq = fragment.firstIndex(of: "=") {
                query[String(fragment[..<eq])] = String(fragment[fragment.index(after: eq)...])
            } else {
                query[String(fragment)] = ""
            }
        }
    }
    if let route = APIRoute(path: path) {
        for method in [HTTPMethod.get, .post, .put, .patch, .delete, .options] { _ = route.allows(method) }
        switch route {
        case .ticket(let text), .ticketReplies(let text), .ticketStatus(let text):
            if case .success(let number) = TicketRoutes.number(text) { precondition(number > 0) }
        default: break
        }
    }
    if case .success(let filter) = TranscriptQuery.parse(query) {
        precondition((1...500).contains(filter.limit) && filter.offset >= 0)
    }
    if case .success(let filter) = AuditQuery.parse(query) {
        precondition((1...500).contains(filter.limit) && (filter.beforeID ?? 1) > 0 && (filter.staffID ?? 1) > 0)
    }
    _ = TicketRoutes.filter(query, policy: .defaults)
    if case .success(let ticket) = TicketRoutes.newTicket(body, policy: policy) {
        precondition(!ticket.subject.isEmpty && !ticket.description.isEmpty)
        precondition(!ticket.subject.hasDisallowedControlCharacters && !ticket.description.hasDisallowedControlCharacters)
    }
    if case .success(let text) = TicketRoutes.replyText(body) { precondition(!text.hasDisallowedControlCharacters) }
    _ = TicketRoutes.status(body)
    return 0
}
