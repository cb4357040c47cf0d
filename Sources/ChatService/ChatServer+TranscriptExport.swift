import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// `GET /api/transcripts/{id}/export?format=text|json|html` and `GET /api/transcripts/export.csv?<filters>`.
/// Access (`SessionAccess.mayExportTranscript`, `mayExportListing`, `TranscriptAccess.scope`) and the audit entry
/// are settled on a worker before the first byte; the body is then streamed a page at a time
/// (`ChatServer+BodyStreams.swift`).
extension ChatServer {
    func exportTranscript(_ request: HTTPRequest, _ id: SessionID) {
        let format: TranscriptExportFormat
        switch request.query["format"].flatMap({ $0.isEmpty ? nil : $0 }) {
        case nil: format = .text
        case let text?:
            guard let parsed = TranscriptExportFormat(rawValue: text) else {
                return respond(request, HTTPReplies.error(.invalidParameter("format", "must be text, json or html.")))
            }
            format = parsed
        }
        authenticate(request) { server, principal in
            let store = server.store, policy = server.engine.policy, now = server.clock.now()
            server.blocking(request) {
                let stored = try Self.storedTranscript(store, id, for: principal, verb: "export",
                                                       may: SessionAccess.mayExportTranscript)
                try store.record(AuditRecord.entry(principal, request, .transcriptExport, target: String(id),
                                                   detail: "format=\(format.rawValue)", at: now))
                let header = try TranscriptHeader.load(stored, store: store, policy: policy)
                let body = TranscriptExportBody(store: store, principal: principal, format: format, header: header,
                                                exportedBy: Self.displayName(principal), exportedAt: now)
                var headers = ["Content-Disposition":
                    "\(format == .html ? "inline" : "attachment"); filename=\"chat-\(id).\(format.fileExtension)\""]
                if format == .html { headers["Content-Security-Policy"] = TranscriptExportFormat.htmlContentSecurityPolicy }
                let head = headers
                return { server in server.stream(request, contentType: format.contentType, headers: head, body: body) }
            }
        }
    }

    func exportTranscriptList(_ request: HTTPRequest) {
        let requested: TranscriptFilter
        switch TranscriptQuery.parse(request.query) {
        case .success(let filter): requested = filter
        case .failure(let error): return respond(request, HTTPReplies.error(error))
        }
        authenticate(request) { server, principal in
            guard SessionAccess.mayExportListing(principal) else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Only staff export transcript lists."))
            }
            let filter: TranscriptFilter
            switch TranscriptAccess.scope(principal, requested) {
            case .success(let scoped): filter = scoped
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store, policy = server.engine.policy, now = server.clock.now()
            server.blocking(request) {
                try store.record(AuditRecord.entry(principal, request, .listExport, at: now))
                let body = TranscriptListCSVBody(store: store, policy: policy, filter: filter)
                let headers = ["Content-Disposition": "attachment; filename=\"transcripts.csv\""]
                return { server in server.stream(request, contentType: "text/csv; charset=utf-8", headers: headers, body: body) }
            }
        }
    }

    static func displayName(_ principal: Principal) -> String {
        switch principal {
        case .customer(let customer): return customer.name
        case .staff(let staff): return "\(staff.name) (\(staff.username))"
        }
    }
}
