import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// The HTTP API: health, staff login/logout, transcripts. Runs on the service thread; anything that touches
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
        case .transcript(let id):
            guard let sessionID = SessionID(id), sessionID > 0 else {
                return respond(request, HTTPReplies.error(.invalidField, "A transcript id is a positive integer."))
            }
            readTranscript(request, sessionID)
        case .tickets:
            if request.method == .post { createTicket(request) } else { listTickets(request) }
        case .ticket(let text), .ticketReplies(let text), .ticketStatus(let text):
            let number: Int64
            switch TicketRoutes.number(text) {
            case .success(let parsed): number = parsed
            case .failure(let error): return respond(request, HTTPReplies.error(error))
            }
            switch route {
            case .ticketReplies: replyToTicket(request, number)
            case .ticketStatus: changeTicketStatus(request, number)
            default: readTicket(request, number)
            }
        }
    }

    func respond(_ request: HTTPRequest, _ response: HTTPResponse) {
        transport.respond(to: request.id, with: response)
    }

    /// Liveness for anyone (`{"status":"ok"}`, no database work); the operating figures only for staff, since
    /// they tell an outsider how busy the desk is. A customer token gets liveness; a bad token its usual 401.
    private func health(_ request: HTTPRequest) {
        guard request.headers["authorization"] != nil else {
            return respond(request, HTTPReplies.json(200) { json in json.field("status", "ok") })
        }
        authenticate(request) { server, principal in
            guard case .staff = principal else {
                return server.respond(request, HTTPReplies.json(200) { json in json.field("status", "ok") })
            }
            server.respond(request, server.healthFigures())
        }
    }

    private func healthFigures() -> HTTPResponse {
        HTTPReplies.json(200) { json in
            json.field("status", "ok")
            json.field("connections", transport.connectionCount)
            json.field("openSessions", engine.openSessionCount)
            json.field("queued", engine.queuedSessionIDs.count)
            json.field("writerQueue", writer.queuedCount)
            json.field("commits", metrics.commits)
            json.key("meanBatch"); json.double(metrics.meanBatch)
            json.field("largestBatch", metrics.largestBatch)
            json.key("meanCommitMillis"); json.double(metrics.meanCommitMillis)
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
                next(self, .customer(try customerTokens.verify(token, now: clock.now())))
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

    private func bearerToken(_ request: HTTPRequest) -> String? {
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
            } catch let error as StorageError {
                continuation = { server in server.respond(request, HTTPReplies.error(.internalError, error.message)) }
            } catch {
                continuation = { server in server.respond(request, HTTPReplies.error(.internalError, "\(error)")) }
            }
            self.mailbox.post { continuation(self) }
        }
        if !accepted { respond(request, HTTPReplies.error(.serverBusy, "The server is busy; try again shortly.")) }
    }

    // MARK: Login

    private func login(_ request: HTTPRequest) {
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
              let username = body["username"] as? String, let password = body["password"] as? String,
              !username.isEmpty, !password.isEmpty, !username.hasDisallowedControlCharacters else {
            return respond(request, HTTPReplies.error(.invalidField, "Send JSON {\"username\": ..., \"password\": ...}."))
        }
        let store = self.store
        let passwords = self.passwords
        let now = clock.now()
        let ttl = config.sessionTokenTTLSeconds
        blocking(request) {
            guard let account = try store.staffAccount(username: username),
                  passwords.verify(password, against: account.passwordHash) else {
                // Same answer for unknown user and wrong password.
                return { server in server.respond(request, HTTPReplies.error(.invalidCredentials, "Wrong username or password.")) }
            }
            let token = SessionToken.generate()
            let expires = now.addingTimeInterval(ttl)
            try store.insertStaffToken(hash: SessionToken.storageHash(token), staffID: account.identity.id,
                                       createdAt: now, expiresAt: expires)
            return { server in
                server.respond(request, HTTPReplies.json(200) { json in
                    json.field("token", token)
                    json.field("expiresAt", date: expires)
                    WireEncoding.writePrincipal(.staff(account.identity), into: &json)
                })
            }
        }
    }

    private func logout(_ request: HTTPRequest) {
        guard let token = bearerToken(request), !token.contains(".") else {
            return respond(request, HTTPReplies.error(.notAuthenticated, "Send Authorization: Bearer <session token>."))
        }
        let hash = SessionToken.storageHash(token)
        let store = self.store
        blocking(request) {
            let removed = try store.deleteStaffToken(hash: hash)
            return { server in
                guard removed else {
                    return server.respond(request, HTTPReplies.error(.sessionTokenInvalid, "That session token is not valid."))
                }
                server.closeConnections(usingTokenHash: hash)
                server.respond(request, HTTPReplies.json(200) { json in json.field("loggedOut", true) })
            }
        }
    }

    // MARK: Transcripts

    private func listTranscripts(_ request: HTTPRequest) {
        let requested: TranscriptFilter
        switch TranscriptQuery.parse(request.query) {
        case .success(let filter): requested = filter
        case .failure(let error): return respond(request, HTTPReplies.error(error))
        }
        authenticate(request) { server, principal in
            let filter: TranscriptFilter
            switch TranscriptAccess.scope(principal, requested) {
            case .success(let scoped): filter = scoped
            case .failure(let error): return server.respond(request, HTTPReplies.error(error))
            }
            let store = server.store
            server.blocking(request) {
                let summaries = try store.sessions(matching: filter)
                return { server in
                    server.respond(request, HTTPReplies.json(200) { json in
                        json.key("transcripts"); json.beginArray()
                        for summary in summaries {
                            json.beginObject()
                            WireEncoding.write(summary.record, into: &json)
                            json.field("lastSeq", summary.lastSeq)
                            json.field("messageCount", summary.messageCount)
                            json.endObject()
                        }
                        json.endArray()
                        json.field("limit", filter.limit)
                        json.field("offset", filter.offset)
                    })
                }
            }
        }
    }

    private func readTranscript(_ request: HTTPRequest, _ id: SessionID) {
        authenticate(request) { server, principal in
            let store = server.store
            server.blocking(request) {
                guard let record = try store.session(id: id) else {
                    return { server in server.respond(request, HTTPReplies.error(.notFound, "There is no transcript \(id).")) }
                }
                let events = try store.events(sessionID: id, afterSeq: 0, limit: 1_000_000)
                guard TranscriptAccess.mayRead(principal, record, events: events) else {
                    return { server in server.respond(request, HTTPReplies.error(.forbidden, "You may not read transcript \(id).")) }
                }
                let markers = try store.readMarkers(sessionID: id)
                let orders = try store.serviceOrders(sessionID: id)
                return { server in
                    server.respond(request, HTTPReplies.json(200) { json in
                        json.key("session"); json.beginObject()
                        WireEncoding.write(record, into: &json)
                        json.field("lastSeq", events.last?.seq ?? 0)
                        json.field("customerReadSeq", markers[.customer] ?? 0)
                        json.field("agentReadSeq", markers[.agent] ?? 0)
                        json.endObject()
                        json.key("events"); json.beginArray()
                        for event in events { WireEncoding.write(event, into: &json) }
                        json.endArray()
                        json.key("serviceOrders"); json.beginArray()
                        for order in orders { Self.write(order, into: &json) }
                        json.endArray()
                    })
                }
            }
        }
    }

    /// One accepted professional-services order of a transcript (docs/PROTOCOL.md §7).
    static func write(_ order: StoredServiceOrder, into json: inout JSONWriter) {
        json.beginObject()
        json.field("id", order.id)
        json.field("description", order.description)
        json.field("rate", order.rateID)
        json.key("hourlyRate"); json.double(order.hourlyRate)
        json.field("currency", order.currency)
        json.key("estimateHours")
        if let hours = order.estimateHours { json.double(hours) } else { json.null() }
        json.field("proposedBy", order.proposedBy)
        json.field("acceptedAt", date: order.acceptedAt)
        json.endObject()
    }
}
