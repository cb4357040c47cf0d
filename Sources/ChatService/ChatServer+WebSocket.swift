import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// WebSocket traffic: hello/authentication, limits, decoding, and handing commands to the engine.
/// Every method runs on the service thread (transport callbacks and mailbox jobs).
extension ChatServer: TransportDelegate {
    public func transport(_ t: WebSocketServer, didOpen c: TransportConnectionID, path: String) {
        if relayOpened(c) { return }
        let now = Date()
        links[c] = ConnectionLink(bucket: TokenBucket(ratePerSecond: config.messagesPerSecond,
                                                      burst: config.messageBurst, now: now))
        // Real time: the deadline protects this machine's sockets and memory.
        helloDeadlines.add(c, deadline: now.addingTimeInterval(config.helloTimeoutSeconds))
        armHousekeeping(now: now)
    }

    public func transport(_ t: WebSocketServer, didClose c: TransportConnectionID) {
        if relayClosed(c) { return }
        parkedStreams[c] = nil
        guard let link = links.removeValue(forKey: c) else { return }
        if link.principal != nil { apply(engine.disconnect(c)) }
    }

    public func transport(_ t: WebSocketServer, didReceiveBinaryFrom c: TransportConnectionID) {
        if relayBinary(from: c) { return }
        metrics.recordRefusal(.binaryNotSupported)
        sendFrame(WireEncoding.error(.binaryNotSupported, "Binary frames are not supported; send JSON text frames."), to: c)
    }

    public func transport(_ t: WebSocketServer, didReceiveText bytes: UnsafeRawBufferPointer, from c: TransportConnectionID) {
        if relayText(bytes, from: c) { return }
        metrics.recordFrame()
        guard var link = links[c] else { return }
        let decoded = WireDecoding.decode(bytes)
        // Rate limits use real time: they protect this machine, whatever the domain clock says. Once
        // authenticated, the budget is the principal's, shared by all of their connections.
        let now = Date()
        let allowed = link.principal.map { messageLimits.take(PrincipalKey($0), now: now) } ?? link.bucket.take(now: now)
        guard allowed else {
            links[c] = link
            return refuse(c, .rateLimited, "Too many messages; slow down and resend.", ref: decoded.ref)
        }
        links[c] = link
        switch decoded {
        case .failure(let failure):
            refuse(c, failure.code, failure.message, ref: failure.ref)
        case .success(.ping(let nonce)):
            var json = JSONWriter()
            json.beginObject(); json.field("type", "pong"); if let nonce { json.field("nonce", nonce) }; json.endObject()
            sendFrame(json.bytes, to: c)
        case .success(.hello(let token)):
            hello(c, link: link, token: token)
        case .success(.command(let command)):
            guard link.principal != nil else {
                return refuse(c, .notAuthenticated, "Send hello with a token and wait for welcome first.", ref: command.clientID)
            }
            if case .requestChat = command, let principal = link.principal,
               !chatRequestLimits.take(PrincipalKey(principal), now: now) {
                return refuse(c, .rateLimited, "Too many chat requests; try again later or open a ticket.", ref: command.clientID)
            }
            if command.writesEvents, writer.failure != nil {
                return refuse(c, .storageFailed, "The server cannot save messages right now (storage is failing); nothing was stored. Resend shortly.",
                              ref: command.clientID)
            }
            if command.writesEvents && writer.queuedCount + 1_000 > config.writerCapacity {
                return refuse(c, .serverBusy, "The server is saving a burst of messages; resend shortly.", ref: command.clientID)
            }
            apply(engine.handle(command, from: c))
        }
    }

    func refuse(_ c: ConnectionID, _ code: ChatErrorCode, _ message: String, ref: String? = nil) {
        metrics.recordRefusal(code)
        sendFrame(WireEncoding.error(code, message, ref: ref), to: c)
    }

    // MARK: Authentication

    private func hello(_ c: ConnectionID, link: ConnectionLink, token: String) {
        guard link.principal == nil, !link.authenticating else {
            return refuse(c, .alreadyAuthenticated, "This connection is already authenticated.")
        }
        guard !token.isEmpty else { return failAuthentication(c, ChatError(.tokenMissing, "A token is required.")) }
        links[c]?.authenticating = true
        let store = self.store
        if token.contains(".") {
            let customer: CustomerIdentity
            do {
                // Token times come from the host panel's real clock: checked against real time, not the domain clock.
                customer = try customerTokens.verify(token, now: Date())
            } catch {
                return failAuthentication(c, error)
            }
            submitBlocking(c) {
                let organization = try? store.organization(id: customer.organizationID)
                return { server in server.finishCustomerHello(c, customer, organization) }
            }
        } else {
            let hash = SessionToken.storageHash(token)
            let now = clock.now()
            submitBlocking(c) {
                let identity = try? store.staff(forTokenHash: hash, now: now)
                return { server in server.finishStaffHello(c, identity, tokenHash: hash) }
            }
        }
    }

    /// Runs `work` on a blocking worker and its continuation back on the service thread.
    /// If the workers are saturated the connection is told to come back later.
    func submitBlocking(_ c: ConnectionID, _ work: @escaping @Sendable () -> (@Sendable (ChatServer) -> Void)) {
        let accepted = workers.submit { [unowned self] in
            let continuation = work()
            self.mailbox.post { continuation(self) }
        }
        if !accepted {
            refuse(c, .serverBusy, "The server is busy; try again shortly.")
            closeConnection(c, code: 1013, reason: "server_busy")
        }
    }

    private func finishCustomerHello(_ c: ConnectionID, _ customer: CustomerIdentity, _ organization: OrganizationRecord?) {
        guard links[c] != nil else { return }
        guard let organization else {
            return failAuthentication(c, ChatError(.unknownOrganization, "Organization \"\(customer.organizationID)\" is not registered for support."))
        }
        welcome(c, .customer(customer), organization: organization)
    }

    private func finishStaffHello(_ c: ConnectionID, _ identity: StaffIdentity?, tokenHash: String) {
        guard links[c] != nil else { return }
        guard let identity else {
            return failAuthentication(c, ChatError(.sessionTokenInvalid, "The session token is unknown, expired or revoked; log in again."))
        }
        links[c]?.staffTokenHash = tokenHash
        welcome(c, .staff(identity), organization: nil)
    }

    private func welcome(_ c: ConnectionID, _ principal: Principal, organization: OrganizationRecord?) {
        links[c]?.principal = principal
        links[c]?.authenticating = false
        let availability = principal.isStaff ? nil : engine.availability(for: organization)
        sendFrame(WireEncoding.welcome(principal, organization: organization, config: config, policy: engine.policy,
                                       now: clock.now(), availability: availability), to: c)
        apply(engine.connect(c, as: principal, organization: organization))
    }

    /// Refuses a hello: the error, then close with 4401 so clients know not to retry the same token.
    private func failAuthentication(_ c: ConnectionID, _ error: ChatError) {
        links[c]?.authenticating = false
        metrics.recordRefusal(error.code)
        sendFrame(WireEncoding.encode(.error(error, ref: nil)), to: c)
        closeConnection(c, code: 4401, reason: error.code.rawValue)
    }

    /// Sends an `alert` frame to every connected supervisor (docs/PROTOCOL.md §3).
    func alertSupervisors(kind: String, ticketNumber: Int64?, organizationID: String?, message: String) {
        var json = JSONWriter()
        json.beginObject()
        json.field("type", "alert")
        json.field("kind", kind)
        json.field("ticketNumber", ticketNumber)
        json.field("organizationId", organizationID)
        json.field("message", message)
        json.endObject()
        for (c, link) in links {
            guard case .staff(let identity)? = link.principal, identity.role == .supervisor else { continue }
            sendFrame(json.bytes, to: c)
        }
    }

    /// Closes every WebSocket authenticated with a revoked staff token.
    func closeConnections(usingTokenHash hash: String) {
        for (c, link) in links where link.staffTokenHash == hash {
            sendFrame(WireEncoding.error(.sessionTokenInvalid, "You logged out."), to: c)
            closeConnection(c, code: 4401, reason: "logged_out")
        }
    }

    public func transport(_ t: WebSocketServer, didDrain c: TransportConnectionID) {
        resumeParkedStreams(c)
    }

    public func transportDidWake(_ t: WebSocketServer) {
        mailbox.drain()
    }

    public func transportTimerFired(_ t: WebSocketServer) {
        armedDeadline = nil
        apply(engine.advance())
    }
}

extension ClientCommand {
    /// The client id to echo in an error about this command.
    var clientID: String? {
        switch self {
        case .requestChat(_, _, _, let id, _, _), .sendMessage(_, let id, _), .addNote(_, let id, _): return id
        default: return nil
        }
    }

    /// Whether the command may append events (and so needs room in the writer's queue).
    var writesEvents: Bool {
        switch self {
        case .typing, .sync, .markRead: return false
        default: return true
        }
    }
}

extension Result where Success == ClientFrame, Failure == DecodingFailure {
    var ref: String? {
        switch self {
        case .success(.command(let command)): return command.clientID
        case .failure(let failure): return failure.ref
        default: return nil
        }
    }
}
