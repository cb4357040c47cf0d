import ChatCore
import ChatStorage
import ChatTransport
import Foundation

/// `/api/canned-replies`: staff read the shared replies and their own; anyone on staff keeps personal ones;
/// supervisors manage the shared ones. Storage work runs on the blocking workers.
extension ChatServer {
    func cannedReplies(_ request: HTTPRequest, id: Int64?) {
        authenticate(request) { server, principal in
            guard case .staff(let staff) = principal else {
                return server.respond(request, HTTPReplies.error(.forbidden, "Canned replies are for the support team."))
            }
            let store = server.store
            let now = server.clock.now()
            switch (request.method, id) {
            case (.get, nil):
                server.blocking(request) {
                    let replies = try store.cannedReplies(for: staff.id)
                    return { server in
                        server.respond(request, HTTPReplies.json(200) { json in
                            json.key("cannedReplies"); json.beginArray()
                            for reply in replies { Self.write(reply, into: &json) }
                            json.endArray()
                        })
                    }
                }
            case (.post, nil), (.put, _?):
                let draft: CannedReplyDraft
                switch CannedReplyDraft.parse(request.body) {
                case .success(let parsed): draft = parsed
                case .failure(let error): return server.respond(request, HTTPReplies.error(error))
                }
                if draft.shared && staff.role != .supervisor {
                    return server.respond(request, HTTPReplies.error(.forbidden, "Only supervisors manage shared replies."))
                }
                server.cannedReplyJob(request) {
                    if let id { try Self.mayChange(store.cannedReply(id: id), staff) }
                    let saved = try store.saveCannedReply(id: id, ownerID: draft.shared ? nil : staff.id,
                                                          shortcut: draft.shortcut, title: draft.title, body: draft.body,
                                                          at: now)
                    return { server in
                        server.respond(request, HTTPReplies.json(id == nil ? 201 : 200) { json in
                            json.key("cannedReply"); Self.write(saved, into: &json)
                        })
                    }
                }
            case (.delete, let id?):
                server.cannedReplyJob(request) {
                    try Self.mayChange(store.cannedReply(id: id), staff)
                    _ = try store.deleteCannedReply(id: id)
                    return { server in server.respond(request, HTTPReplies.json(200) { json in json.field("deleted", true) }) }
                }
            default:
                server.respond(request, HTTPReplies.error(.methodNotAllowed, "Use GET or POST on the list, PUT or DELETE on one reply."))
            }
        }
    }

    /// A blocking job whose refusals are `ChatError`s, and whose storage refusals name the shortcut or the reply.
    func cannedReplyJob(_ request: HTTPRequest, _ work: @escaping @Sendable () throws -> (@Sendable (ChatServer) -> Void)) {
        blocking(request) {
            do {
                return try work()
            } catch let error as StorageError where error.code == "shortcut_taken" {
                return { server in server.respond(request, HTTPReplies.error(.shortcutTaken, error.message)) }
            } catch let error as StorageError where error.code == "not_found" {
                return { server in server.respond(request, HTTPReplies.error(.notFound, error.message)) }
            }
        }
    }

    /// Personal replies change by their owner only, shared ones by supervisors only.
    static func mayChange(_ reply: CannedReply?, _ staff: StaffIdentity) throws {
        guard let reply, reply.ownerID == nil || reply.ownerID == staff.id else {
            throw ChatError(.notFound, "There is no such canned reply of yours.")
        }
        if reply.ownerID == nil && staff.role != .supervisor {
            throw ChatError(.forbidden, "Only supervisors manage shared replies.")
        }
    }

    static func write(_ reply: CannedReply, into json: inout JSONWriter) {
        json.beginObject()
        json.field("id", reply.id)
        json.field("shared", reply.ownerID == nil)
        json.field("ownerId", reply.ownerID)
        json.field("shortcut", reply.shortcut)
        json.field("title", reply.title)
        json.field("body", reply.body)
        json.field("updatedAt", date: reply.updatedAt)
        json.endObject()
    }
}

/// The body of a canned reply: `{"shortcut", "title"?, "body", "shared"?}`. Pure.
struct CannedReplyDraft {
    var shortcut: String
    var title: String
    var body: String
    var shared: Bool

    static let maxShortcut = 32, maxTitle = 100, maxBody = 4000

    static func parse(_ bytes: [UInt8]) -> Result<CannedReplyDraft, ChatError> {
        Result { () throws(ChatError) in
            let object = try JSONBody.object(bytes)
            guard let shortcut = object["shortcut"] as? String, (1...maxShortcut).contains(shortcut.count),
                  shortcut.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "_" })
            else {
                throw ChatError.invalidParameter("shortcut", "must be 1-\(maxShortcut) letters, digits, - or _.")
            }
            guard let body = object["body"] as? String, body.hasVisibleContent, body.count <= maxBody,
                  !body.hasDisallowedControlCharacters else {
                throw ChatError.invalidParameter("body", "must be text of 1-\(maxBody) characters.")
            }
            var title = shortcut
            if let value = object["title"], !(value is NSNull) {
                guard let text = value as? String, text.count <= maxTitle, !text.hasDisallowedControlCharacters else {
                    throw ChatError.invalidParameter("title", "must be text of at most \(maxTitle) characters.")
                }
                if !text.isEmpty { title = text }
            }
            var shared = false
            if let value = object["shared"], !(value is NSNull) {
                guard WireDecoding.isBoolean(value), let flag = value as? Bool else {
                    throw ChatError.invalidParameter("shared", "must be true or false.")
                }
                shared = flag
            }
            return CannedReplyDraft(shortcut: shortcut.lowercased(), title: title, body: body, shared: shared)
        }
    }
}
