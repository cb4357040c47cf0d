import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// Staff login and logout over HTTP. Runs on the service thread.
///
/// A login costs a PBKDF2 check (~0.1 s at production cost), so it is guarded before it is queued: the throttle
/// (per source address and per username, 429 `login_throttled` with `Retry-After`), then a small queue of its
/// own (`PasswordCheckQueue`, 503 `server_busy` when full) so a flood never delays hellos, history loads or
/// tickets. A queued check whose client disconnects is skipped. An unknown username is checked against a
/// stand-in hash, so it costs the same time as a wrong password.
extension ChatServer {
    func login(_ request: HTTPRequest) {
        let body: [String: Any]
        do {
            body = try JSONBody.object(request.body)
        } catch {
            return respond(request, HTTPReplies.error(error))
        }
        guard let username = body["username"] as? String, let password = body["password"] as? String,
              !username.isEmpty, !password.isEmpty, !username.hasDisallowedControlCharacters else {
            return respond(request, HTTPReplies.error(.invalidField, "Send JSON {\"username\": ..., \"password\": ...}."))
        }
        // Throttling protects this machine: real time, whatever the domain clock says.
        if let refusal = loginThrottle.attempt(address: request.peerAddress, username: username, now: Date()) {
            metrics.recordLoginThrottled()
            return respond(request, HTTPReplies.error(
                .loginThrottled, "Too many login attempts for this \(refusal.limit); try again in \(refusal.retryAfterSeconds) s.",
                retryAfterSeconds: refusal.retryAfterSeconds))
        }
        let store = self.store
        let passwords = self.passwords
        let standIn = self.unknownAccountHash
        let now = clock.now()
        let ttl = config.sessionTokenTTLSeconds
        let accepted = passwordChecks.submit(request.id) { [unowned self] in
            let outcome = Self.checkLogin(username: username, password: password, store: store, passwords: passwords,
                                          standIn: standIn, now: now, ttl: ttl)
            self.mailbox.post { self.finishLogin(request, outcome) }
        }
        if accepted {
            pendingLogins.insert(request.id)
        } else {
            metrics.recordLoginBusy()
            respond(request, HTTPReplies.error(.serverBusy, "Too many logins are being checked; try again shortly.",
                                               retryAfterSeconds: 1))
        }
    }

    /// Worker thread (password queue): the password check, then the token on success. Never throws: storage
    /// failures become a 500 for this request.
    private static func checkLogin(username: String, password: String, store: any StorageBackend, passwords: PasswordHasher,
                                   standIn: String, now: Date, ttl: Double) -> Result<(StaffAccount, String, Date), ChatError> {
        do {
            let account = try store.staffAccount(username: username)
            // Always one full check, against the stand-in when the username is unknown: the same cost either way.
            let matches = passwords.verify(password, against: account?.passwordHash ?? standIn)
            guard let account, matches, !account.isDisabled else {
                // One answer for unknown user, wrong password and disabled account.
                return .failure(ChatError(.invalidCredentials, "Wrong username or password."))
            }
            let token = SessionToken.generate()
            let expires = now.addingTimeInterval(ttl)
            try store.insertStaffToken(hash: SessionToken.storageHash(token), staffID: account.identity.id,
                                       createdAt: now, expiresAt: expires)
            return .success((account, token, expires))
        } catch let error as StorageError {
            return .failure(ChatError(.internalError, error.message))
        } catch {
            return .failure(ChatError(.internalError, "\(error)"))
        }
    }

    private func finishLogin(_ request: HTTPRequest, _ outcome: Result<(StaffAccount, String, Date), ChatError>) {
        pendingLogins.remove(request.id)
        passwordChecks.finished(request.id)
        switch outcome {
        case .failure(let error):
            metrics.recordLogin(error.code == .invalidCredentials ? "rejected" : "failed")
            respond(request, HTTPReplies.error(error))
        case .success(let (account, token, expires)):
            metrics.recordLogin("accepted")
            respond(request, HTTPReplies.json(200) { json in
                json.field("token", token)
                json.field("expiresAt", date: expires)
                WireEncoding.writePrincipal(.staff(account.identity), into: &json)
            })
        }
    }

    /// The client of a request went away unanswered: a queued password check for it is skipped.
    public func transport(_ t: WebSocketServer, didAbandon requestID: UInt64) {
        if bodyStreams.removeValue(forKey: requestID) != nil { return }
        if abandonUpload(requestID) { return }
        guard pendingLogins.remove(requestID) != nil else { return }
        passwordChecks.abandon(requestID)
    }

    func logout(_ request: HTTPRequest) {
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
                server.announceLogout(tokenHash: hash)
                server.respond(request, HTTPReplies.json(200) { json in json.field("loggedOut", true) })
            }
        }
    }
}
