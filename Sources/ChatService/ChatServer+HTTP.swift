import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// The HTTP API: health, transcripts (staff login/logout: `ChatServer+Login.swift`). Runs on the service thread; anything that touches
/// the database or hashes a password goes to the blocking workers and answers later.
extension ChatServer {
    public func transport(_ t: WebSocketServer, didReceive request: HTTPRequest) {
        guard let route = APIRoute(path: request.path) else {
            return respond(request, HTTPReplies.error(.notFound, "No route for \(request.path)."))
        }
        guard route.allows(request.method) else {
            return respond(request, HTTPReplies.error(.methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.path)."))
        }
        switch route {
        case .health:
            health(request)
        case .login:
            login(request)
        case .logout:
            logout(request)
        case .me:
            authenticate(request) { server, principal in
                server.respond(request, HTTPReplies.json(200) { json in WireEncoding.writePrincipal(principal, into: &json) })
            }
        case .transcripts:
            listTranscripts(request)
        case .search:
            searchTranscripts(request)
        case .metrics:
            serveMetrics(request)
        case .analytics:
            serveAnalytics(request, csv: false)
        case .analyticsCSV:
            serveAnalytics(request, csv: true)
        case .cannedReplies:
            cannedReplies(request, id: nil)
        case .cannedReply(let text):
            guard let id = Int64(text), id > 0 else {
                return respond(request, HTTPReplies.error(.notFound, "There is no canned reply \(text)."))
            }
            cannedReplies(request, id: id)
        case .transcriptContext(let id):
            guard let sessionID = SessionID(id), sessionID > 0 else {
                return respond(request, HTTPReplies.error(.notFound, "There is no chat \(id)."))
            }
            customerContext(request, sessionID)
        case .transcriptRating(let id):
            guard let sessionID = SessionID(id), sessionID > 0 else {
                return respond(request, HTTPReplies.error(.notFound, "There is no transcript \(id)."))
            }
            rateChat(request, sessionID)
        case .transcript(let id):
            guard let sessionID = SessionID(id), sessionID > 0 else {
                return respond(request, HTTPReplies.error(.invalidField, "A transcript id is a positive integer."))
            }
            readTranscript(request, sessionID)
        case .transcriptListExport:
            exportTranscriptList(request)
        case .transcriptExport(let id):
            guard let sessionID = SessionID(id), sessionID > 0 else {
                return respond(request, HTTPReplies.error(.invalidField, "A transcript id is a positive integer."))
            }
            exportTranscript(request, sessionID)
        case .organizations:
            lookUpOrganizations(request)
        case .transcriptAttachments(let id):
            beginUpload(request, id)
        case .attachment(let id):
            downloadAttachment(request, id)
        case .audit:
            readAudit(request)
        case .tickets:
            if request.method == .post { createTicket(request) } else { listTickets(request) }
        case .staffList:
            listStaff(request)
        case .ticket(let text), .ticketReplies(let text), .ticketStatus(let text), .ticketNotes(let text),
             .ticketAssignee(let text):
            let number: Int64
            switch TicketRoutes.number(text) {
            case .success(let parsed): number = parsed
            case .failure(let error): return respond(request, HTTPReplies.error(error))
            }
            switch route {
            case .ticketReplies: replyToTicket(request, number)
            case .ticketStatus: changeTicketStatus(request, number)
            case .ticketNotes: addTicketNote(request, number)
            case .ticketAssignee: assignTicket(request, number)
            default: readTicket(request, number)
            }
        }
    }

    func respond(_ request: HTTPRequest, _ response: HTTPResponse) {
        transport.respond(to: request.id, with: response)
    }

    /// Liveness for anyone (`{"status":"ok"}`, or 503 `{"status":"storage_failing"}` while storage refuses
    /// writes; no database work); the operating figures only for staff, since they tell an outsider how busy the
    /// desk is. A customer token gets liveness; a bad token its usual 401.
    private func health(_ request: HTTPRequest) {
        guard request.headers["authorization"] != nil else { return respond(request, liveness()) }
        authenticate(request) { server, principal in
            guard case .staff = principal else { return server.respond(request, server.liveness()) }
            server.respond(request, server.healthFigures())
        }
    }

    private func liveness() -> HTTPResponse {
        let failing = writer.failure != nil
        return HTTPReplies.json(failing ? 503 : 200) { json in json.field("status", failing ? "storage_failing" : "ok") }
    }

    private func healthFigures() -> HTTPResponse {
        let storageFailure = writer.failure
        return HTTPReplies.json(storageFailure == nil ? 200 : 503) { json in
            json.field("status", storageFailure == nil ? "ok" : "storage_failing")
            json.field("storage", storageFailure == nil ? "ok" : "failing")
            json.field("connections", transport.connectionCount)
            json.field("openSessions", engine.openSessionCount)
            json.field("queued", engine.queuedSessionIDs.count)
            json.field("writerQueue", writer.queuedCount)
            json.field("commits", metrics.commits)
            json.key("meanBatch"); json.double(metrics.meanBatch)
            json.field("largestBatch", metrics.largestBatch)
            json.key("meanCommitMillis"); json.double(metrics.meanCommitMillis)
            json.field("loginsPending", pendingLogins.count)
            json.field("loginsThrottled", metrics.loginsThrottled)
            json.field("loginsRefusedBusy", metrics.loginsRefusedBusy)
            json.field("loginsSkipped", passwordChecks.skippedCount)
            json.field("helloTimeouts", metrics.helloTimeouts)
            json.field("revocationsApplied", metrics.revocationsApplied)
            json.field("storageKind", store.kind)
            if let cluster = clusterNode {
                json.key("cluster"); json.beginObject()
                json.field("node", cluster.settings.node)
                json.field("role", cluster.isRelay ? "relay" : "leader")
                json.field("generation", cluster.generation)
                json.field("relayedConnections", cluster.relayed.count)
                json.field("relays", cluster.relays.count)
                json.endObject()
            }
        }
    }

    // MARK: Authentication

    /// Resolves the bearer token (a customer JWT or a staff session token), then continues on the service thread.
    func authenticate(_ request: HTTPRequest, then next: @escaping @Sendable (ChatServer, Principal) -> Void) {
        guard let token = bearerToken(request) else {
            return respond(request, HTTPReplies.error(.notAuthenticated, "Send Authorization: Bearer <token>."))
        }
        if token.contains(".") {
            do {
                next(self, .customer(try customerTokens.verify(token, now: Date())))
            } catch {
                respond(request, HTTPReplies.error(error))
            }
            return
        }
        let store = self.store
        let hash = SessionToken.storageHash(token)
        let now = clock.now()
        blocking(request) {
            let identity = try store.staff(forTokenHash: hash, now: now)
            return { server in
                guard let identity else {
                    return server.respond(request, HTTPReplies.error(.sessionTokenInvalid, "The session token is unknown, expired or revoked; log in again."))
                }
                next(server, .staff(identity))
            }
        }
    }

    func bearerToken(_ request: HTTPRequest) -> String? {
        guard let header = request.headers["authorization"] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// Runs blocking `work` on a worker; its continuation runs on the service thread. Errors become 500s.
    func blocking(_ request: HTTPRequest, _ work: @escaping @Sendable () throws -> (@Sendable (ChatServer) -> Void)) {
        let accepted = workers.submit { [unowned self] in
            let continuation: @Sendable (ChatServer) -> Void
            do {
                continuation = try work()
            } catch let error as ChatError {
                // A refusal decided on the worker (access to a stored record, a rule): answered as such.
                continuation = { server in server.respond(request, HTTPReplies.error(error)) }
            } catch let error as StorageError {
                continuation = { server in server.respond(request, HTTPReplies.error(.internalError, error.message)) }
            } catch {
                continuation = { server in server.respond(request, HTTPReplies.error(.internalError, "\(error)")) }
            }
            self.mailbox.post { continuation(self) }
        }
        if !accepted { respond(request, HTTPReplies.error(.serverBusy, "The server is busy; try again shortly.")) }
    }

    /// One accepted professional-services order of a transcript (docs/PROTOCOL.md §7).
    static func write(_ order: StoredServiceOrder, proposedByName: String? = nil, into json: inout JSONWriter) {
        json.beginObject()
        json.field("id", order.id)
        json.field("description", order.description)
        json.field("rate", order.rateID)
        json.key("hourlyRate"); json.double(order.hourlyRate)
        json.field("currency", order.currency)
        json.key("estimateHours")
        if let hours = order.estimateHours { json.double(hours) } else { json.null() }
        json.field("proposedBy", order.proposedBy)
        if let proposedByName { json.field("proposedByName", proposedByName) }
        json.field("acceptedAt", date: order.acceptedAt)
        json.endObject()
    }
}
