/// Stable machine codes for refusals and errors. The raw value is what clients see; never rename one.
public enum ChatErrorCode: String, Sendable, Equatable, Codable, CaseIterable {
    // Protocol
    case malformedJSON = "malformed_json"
    case unknownType = "unknown_type"
    case invalidField = "invalid_field"
    case binaryNotSupported = "binary_not_supported"
    case messageTooLong = "message_too_long"
    case rateLimited = "rate_limited"
    case serverBusy = "server_busy"
    case storageFailed = "storage_failed"
    /// Too many login attempts from one address or for one username; `Retry-After` says when to try again.
    case loginThrottled = "login_throttled"
    /// The connection did not send `hello` within the configured time; it is closed with 4408.
    case helloTimeout = "hello_timeout"
    // Identity and access
    case notAuthenticated = "not_authenticated"
    case alreadyAuthenticated = "already_authenticated"
    case tokenMissing = "token_missing"
    case tokenMalformed = "token_malformed"
    case tokenInvalidSignature = "token_invalid_signature"
    case tokenExpired = "token_expired"
    /// The customer token's `exp` lies further ahead than the configured maximum lifetime.
    case tokenLifetimeExceeded = "token_lifetime_exceeded"
    /// The customer token's `iat` lies in the future (beyond the clock-skew leeway).
    case tokenIssuedInFuture = "token_issued_in_future"
    case sessionTokenInvalid = "session_token_invalid"
    case invalidCredentials = "invalid_credentials"
    case forbidden = "forbidden"
    case unknownOrganization = "unknown_organization"
    // Eligibility (each carries the ticket alternative)
    case planExcludesChat = "plan_excludes_chat"
    case productExcludesChat = "product_excludes_chat"
    case unknownProduct = "unknown_product"
    case authorizedContactsExceeded = "authorized_contacts_exceeded"
    // Sessions
    case unknownSession = "unknown_session"
    case sessionClosed = "session_closed"
    case sessionNotQueued = "session_not_queued"
    case notYourSession = "not_your_session"
    case atCapacity = "at_capacity"
    case agentUnavailable = "agent_unavailable"
    case unknownAgent = "unknown_agent"
    case alreadyInChat = "already_in_chat"
    // Support policy
    case chatOffline = "chat_offline"
    case noPendingOffer = "no_pending_offer"
    case noPendingProposal = "no_pending_proposal"
    case proposalPending = "proposal_pending"
    case unknownRate = "unknown_rate"
    case conversionInProgress = "conversion_in_progress"
    case ticketCreationFailed = "ticket_creation_failed"
    // Tickets
    case unknownTicket = "unknown_ticket"
    case ticketClosed = "ticket_closed"
    case illegalTransition = "illegal_transition"
    // HTTP
    case chatNotClosed = "chat_not_closed"
    case ratingLocked = "rating_locked"
    case shortcutTaken = "shortcut_taken"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case payloadTooLarge = "payload_too_large"
    /// An upload whose content is not an allowed kind (PNG, JPEG, GIF, WebP, PDF, UTF-8 text), whatever its name.
    case unsupportedAttachment = "unsupported_attachment"
    /// An upload without `Content-Length` (uploads are refused by size before they are read).
    case lengthRequired = "length_required"
    case internalError = "internal_error"
    /// Cluster mode: this request needs the node running the chat engine; try it through another node.
    case clusterLeaderOnly = "cluster_leader_only"
}

/// A refusal: a stable code, a human sentence, and optionally what the client may do instead.
public struct ChatError: Error, Sendable, Equatable {
    public var code: ChatErrorCode
    public var message: String
    /// What the customer can do instead (currently only "ticket").
    public var alternative: String?
    /// Extra facts for the client, e.g. `nextOpening` (ISO 8601) and `nextOpeningText` for `chat_offline`.
    public var details: [String: String]

    public init(_ code: ChatErrorCode, _ message: String, alternative: String? = nil, details: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.alternative = alternative
        self.details = details
    }
}
