import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// Attachments (docs/PROTOCOL.md §Attachments). Service thread only; file work runs on `attachmentWriter`, one
/// thread in FIFO order, so an upload's chunks reach its file in the order they arrived.
///
/// An upload's life: head (route, name, token check started) -> chunks (each written and hashed by the writer
/// thread; the transport stops reading the socket while more than a few wait) -> end (the content is sniffed
/// against the allow-list and moved to `DATA/attachments/<aa>/<bb>/<sha256>`) -> the engine appends the
/// `attachment` event under the `send` writer rules -> 201 once that event is committed. Refused, cut short or
/// abandoned uploads leave nothing behind (a stored file nobody's event names is removed).
extension ChatServer {
    // MARK: Upload

    public func transport(_ t: WebSocketServer, streamedBodyLimitFor request: HTTPRequest) -> Int? {
        guard request.method == .post, case .transcriptAttachments = APIRoute(path: request.path) else { return nil }
        return engine.policy.chat.maxAttachmentBytes
    }

    func beginUpload(_ request: HTTPRequest, _ idText: String) {
        guard request.bodyIsStreamed else {
            return respond(request, HTTPReplies.error(.invalidField, "Send the file as the request body."))
        }
        if clusterNode?.isRelay == true {
            // The attachment event is appended by the engine, which runs on the leader (docs/CLUSTER.md).
            return respond(request, HTTPReplies.error(.clusterLeaderOnly,
                                                      "Uploads go through the node running the chat engine; retry through another node."))
        }
        guard let sessionID = SessionID(idText), sessionID > 0 else {
            return respond(request, HTTPReplies.error(.notFound, "There is no chat \(idText)."))
        }
        let name = AttachmentName.sanitize(request.query["name"] ?? "")
        let box = UploadBox()
        uploads[request.id] = PendingUpload(request: request, sessionID: sessionID, name: name, box: box)
        let files = store.attachmentFiles
        if !attachmentWriter.submit({ do { box.upload = try AttachmentUpload(files: files) } catch { box.failure = error } }) {
            uploads[request.id]?.refusal = ChatError(.serverBusy, "The server is busy; try again shortly.")
        }
        resolvePrincipal(request) { server, result in
            guard server.uploads[request.id] != nil else { return }
            server.uploads[request.id]?.principal = result
            server.proceedWithUpload(request.id)
        }
    }

    public func transport(_ t: WebSocketServer, didReceiveBodyChunk bytes: [UInt8], of requestID: UInt64) {
        guard let state = uploads[requestID], state.refusal == nil else {
            return transport.requestBodyConsumed(requestID)
        }
        let box = state.box
        let accepted = attachmentWriter.submit { [unowned self] in
            if box.failure == nil, let upload = box.upload {
                do { try upload.write(bytes) } catch { box.failure = error }
            }
            self.mailbox.post { self.transport.requestBodyConsumed(requestID) }
        }
        if !accepted {
            uploads[requestID]?.refusal = ChatError(.serverBusy, "The server is busy; try again shortly.")
            transport.requestBodyConsumed(requestID)
        }
    }

    public func transport(_ t: WebSocketServer, didEndBodyOf requestID: UInt64, complete: Bool) {
        guard let state = uploads[requestID] else { return }
        let box = state.box
        if !complete || state.refusal != nil {
            // Over the limit (the transport answers 413) or refused early: nothing stays on disk.
            uploads.removeValue(forKey: requestID)
            attachmentWriter.submitWaiting { box.upload?.discard() }
            if complete, let refusal = state.refusal { respond(state.request, HTTPReplies.error(refusal)) }
            return
        }
        let name = state.name
        attachmentWriter.submitWaiting { [unowned self] in
            let result: Result<AttachmentInfo, ChatError>
            if let failure = box.failure {
                box.upload?.discard()
                result = .failure(ChatError(.internalError, "The file could not be written: \(failure)"))
            } else if let upload = box.upload {
                do {
                    result = try upload.finish(name: name)
                    if case .success(let info) = result { self.adoptedFiles.counts[info.sha256, default: 0] += 1 }
                } catch {
                    upload.discard()
                    result = .failure(ChatError(.internalError, "The file could not be stored: \(error)"))
                }
            } else {
                result = .failure(ChatError(.internalError, "The upload was lost."))
            }
            self.mailbox.post { self.uploadStored(requestID, result) }
        }
    }

    private func uploadStored(_ requestID: UInt64, _ result: Result<AttachmentInfo, ChatError>) {
        guard uploads[requestID] != nil else {
            // The client left meanwhile: no event will name this file.
            if case .success(let info) = result { releaseFile(info.sha256, removeIfUnused: true) }
            return
        }
        uploads[requestID]?.stored = result
        proceedWithUpload(requestID)
    }

    /// Once both the uploader and the stored file are known: refuse, or ask the engine for the event.
    private func proceedWithUpload(_ requestID: UInt64) {
        guard let state = uploads[requestID], !state.attached, let principal = state.principal, let stored = state.stored else { return }
        switch (principal, stored) {
        case (.success(let principal), .success(let info)):
            uploads[requestID]?.attached = true
            apply(engine.attach(info, to: state.sessionID, by: principal, requestID: requestID))
        case (.failure(let error), _), (_, .failure(let error)):
            uploads.removeValue(forKey: requestID)
            guard case .success(let info) = stored else { return respond(state.request, HTTPReplies.error(error)) }
            releaseFile(info.sha256, removeIfUnused: true) { server in server.respond(state.request, HTTPReplies.error(error)) }
        }
    }

    /// The engine's answer (`Effect.attachmentAnswered`): 201 with the committed event, or the refusal.
    func attachmentAnswered(_ requestID: UInt64, _ outcome: AttachmentOutcome) {
        guard let state = uploads.removeValue(forKey: requestID) else { return }
        switch outcome {
        case .committed(let event):
            if let sha256 = event.attachment?.sha256 { releaseFile(sha256, removeIfUnused: false) }
            respond(state.request, HTTPReplies.json(201) { json in
                json.key("event"); WireEncoding.write(event, into: &json)
            })
        case .refused(let error):
            guard case .success(let info) = state.stored else { return respond(state.request, HTTPReplies.error(error)) }
            // Answered once the file is gone: a refusal leaves nothing on disk.
            releaseFile(info.sha256, removeIfUnused: true) { server in server.respond(state.request, HTTPReplies.error(error)) }
        }
    }

    /// From `didAbandon`: the client left before the answer. True when it was an upload.
    func abandonUpload(_ requestID: UInt64) -> Bool {
        guard let state = uploads[requestID] else { return false }
        // Once attached, the engine's answer comes anyway (commit, or storage failure): it settles the file then.
        if state.attached { return true }
        uploads.removeValue(forKey: requestID)
        let box = state.box
        attachmentWriter.submitWaiting { box.upload?.discard() }
        if case .success(let info)? = state.stored { releaseFile(info.sha256, removeIfUnused: true) }
        return true
    }

    /// An upload that adopted the file `sha256` is settled: committed (its event names the file), or refused or
    /// abandoned (`removeIfUnused`: the file is deleted unless a committed event or another upload still in flight
    /// uses the same content). Then `next` on the service thread. Runs on the attachment writer, in order after
    /// that upload's own jobs.
    private func releaseFile(_ sha256: String, removeIfUnused: Bool, then next: (@Sendable (ChatServer) -> Void)? = nil) {
        let store = self.store
        attachmentWriter.submitWaiting { [unowned self] in
            let left = (self.adoptedFiles.counts[sha256] ?? 1) - 1
            self.adoptedFiles.counts[sha256] = left > 0 ? left : nil
            if removeIfUnused, left <= 0, (try? store.attachmentUses(sha256: sha256)) == 0 {
                store.attachmentFiles.remove([sha256])
            }
            if let next { self.mailbox.post { next(self) } }
        }
    }

    /// As `authenticate`, but reports a refusal to the caller instead of answering it.
    private func resolvePrincipal(_ request: HTTPRequest,
                                  _ done: @escaping @Sendable (ChatServer, Result<Principal, ChatError>) -> Void) {
        guard let token = bearerToken(request) else {
            return done(self, .failure(ChatError(.notAuthenticated, "Send Authorization: Bearer <token>.")))
        }
        if token.contains(".") {
            do { done(self, .success(.customer(try customerTokens.verify(token, now: Date())))) }
            catch { done(self, .failure(error)) }
            return
        }
        let store = self.store, hash = SessionToken.storageHash(token), now = clock.now()
        let accepted = workers.submit { [unowned self] in
            let result: Result<Principal, ChatError>
            do {
                if let identity = try store.staff(forTokenHash: hash, now: now) { result = .success(.staff(identity)) }
                else { result = .failure(ChatError(.sessionTokenInvalid, "The session token is unknown, expired or revoked; log in again.")) }
            } catch {
                result = .failure(ChatError(.internalError, "\(error)"))
            }
            self.mailbox.post { done(self, result) }
        }
        if !accepted { done(self, .failure(ChatError(.serverBusy, "The server is busy; try again shortly."))) }
    }

    // MARK: Download

    /// `GET /api/attachments/{chat}-{seq}`: the file, to whoever may read that chat's transcript
    /// (`SessionAccess.mayReadTranscript`); anyone else, and another organization, gets 404.
    func downloadAttachment(_ request: HTTPRequest, _ idText: String) {
        guard let (sessionID, seq) = AttachmentInfo.parseDownloadID(idText) else {
            return respond(request, HTTPReplies.error(.notFound, "There is no attachment \(idText)."))
        }
        authenticate(request) { server, principal in
            let store = server.store
            server.blocking(request) {
                let notFound: @Sendable (ChatServer) -> Void = { server in
                    server.respond(request, HTTPReplies.error(.notFound, "There is no attachment \(idText)."))
                }
                guard let stored = try store.storedSession(id: sessionID, staffCandidate: principal.staffID),
                      SessionAccess.mayReadTranscript(principal, stored.record, handledBy: stored.handledBy),
                      SessionAccess.mayReceive(principal, .attachment),
                      let attachment = try store.attachment(sessionID: sessionID, seq: seq),
                      let url = store.attachmentFiles.url(forSHA256: attachment.sha256),
                      let body = try? FileBody(url: url) else { return notFound }
                return { server in
                    let inline = attachment.type.hasPrefix("image/")
                    server.stream(request, contentType: attachment.type, headers: [
                        "Content-Disposition": AttachmentName.contentDisposition(attachment.name, inline: inline),
                        "Content-Security-Policy": "default-src 'none'; sandbox",
                    ], body: body)
                }
            }
        }
    }
}

extension BlockingWorkers {
    /// For clean-up jobs that must not be dropped. The attachment writer's queue is far larger than what flow
    /// control lets uploads queue (a few chunks each), so a refusal here means shutdown: then the job is skipped
    /// and a temporary file may stay in `attachments/incoming` (safe to delete while the server is stopped).
    func submitWaiting(_ job: @escaping @Sendable () -> Void) {
        _ = submit(job)
    }
}
