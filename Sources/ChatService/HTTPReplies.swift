import ChatCore
import ChatTransport
import Foundation

/// JSON HTTP responses with the same error codes as the WebSocket protocol. Pure.
enum HTTPReplies {
    static func json(_ status: Int, _ build: (inout JSONWriter) -> Void) -> HTTPResponse {
        var json = JSONWriter()
        json.beginObject()
        build(&json)
        json.endObject()
        return HTTPResponse(status: status, contentType: "application/json", body: json.bytes)
    }

    static func error(_ error: ChatError) -> HTTPResponse {
        json(status(for: error.code)) { json in
            json.key("error"); json.beginObject()
            WireEncoding.writeErrorFields(error, ref: nil, into: &json)
            json.endObject()
        }
    }

    static func error(_ code: ChatErrorCode, _ message: String) -> HTTPResponse {
        error(ChatError(code, message))
    }

    /// An error the client should retry after `seconds` (429, 503): with a `Retry-After` header.
    static func error(_ code: ChatErrorCode, _ message: String, retryAfterSeconds seconds: Int) -> HTTPResponse {
        var response = error(ChatError(code, message))
        response.headers["Retry-After"] = String(max(1, seconds))
        return response
    }

    static func status(for code: ChatErrorCode) -> Int {
        switch code {
        case .notAuthenticated, .tokenMissing, .tokenMalformed, .tokenInvalidSignature, .tokenExpired,
             .tokenLifetimeExceeded, .tokenIssuedInFuture, .sessionTokenInvalid, .invalidCredentials:
            return 401
        case .forbidden, .notYourSession, .planExcludesChat, .productExcludesChat, .authorizedContactsExceeded:
            return 403
        case .notFound, .unknownSession, .unknownOrganization, .unknownAgent, .unknownProduct, .unknownTicket:
            return 404
        case .illegalTransition, .ticketClosed, .chatNotClosed, .ratingLocked, .shortcutTaken: return 409
        case .methodNotAllowed: return 405
        case .payloadTooLarge, .messageTooLong: return 413
        case .unsupportedAttachment: return 415
        case .lengthRequired: return 411
        case .sessionClosed: return 409
        case .rateLimited, .loginThrottled: return 429
        case .helloTimeout: return 408
        case .serverBusy, .storageFailed, .clusterLeaderOnly: return 503
        case .internalError: return 500
        default: return 400
        }
    }
}
