import ChatCore
import Foundation

/// Everything the server and the admin CLI ask of storage, in domain terms, whatever the backend: SQLite
/// (`ChatStore`, the embedded default) or PostgreSQL (`PostgresStore`, cluster mode). A second backend is a second
/// implementation of this protocol, not a change to its callers.
///
/// Threading contract (every implementation): every method is blocking (it waits for the database, and for the
/// disk on writes) and thread-safe. Call it from worker threads, the admin CLI or a writer thread; NEVER from the
/// libwebsockets service thread. Chat traffic (`StorageWrite`s) does not go through these methods but through the
/// backend's `EventWriter` (`makeWriter`), which commits it in groups on a thread of its own.
public protocol StorageBackend: AnyObject, Sendable {
    /// Which backend this is, for logs and `/healthz` ("sqlite" or "postgres").
    var kind: String { get }

    /// The single writer of chat traffic for this backend (see `EventWriter`). Called once by the server.
    func makeWriter(capacity: Int, lingerSeconds: Double,
                    onCommit: @escaping @Sendable (CommitReceipt) -> Void,
                    onFailure: @escaping @Sendable (StorageFailure) -> Void,
                    onStorageState: @escaping @Sendable (String?) -> Void) -> any EventWriter

    /// Brings derived indexes (full-text search) up to date with committed events; returns how many events it
    /// indexed. A backend that indexes as it writes returns 0.
    @discardableResult func indexSearch(chunk: Int) throws -> Int

    // MARK: Recovery and chat lookups
    func recoverState(tailSize: Int) throws -> RecoveredState
    func storedSession(id: SessionID, staffCandidate: StaffID?) throws -> StoredSession?
    func chatRequest(_ key: ChatRequestKey) throws -> (session: StoredSession, firstEvent: SessionEvent?)?
    func event(sessionID: SessionID, key: ClientMessageKey) throws -> SessionEvent?
    func historyPage(sessionID: SessionID, afterSeq: Seq, limit: Int, staffCandidate: StaffID?,
                     mayRead: (StoredSession) -> Bool) throws -> HistoryPage
    func session(id: SessionID) throws -> ChatSessionRecord?
    func events(sessionID: SessionID, afterSeq: Seq, limit: Int?) throws -> [SessionEvent]
    func readMarkers(sessionID: SessionID) throws -> [Participant.Role: Seq]

    // MARK: Organizations
    func organization(id: OrganizationID) throws -> OrganizationRecord?
    func organizations() throws -> [OrganizationRecord]
    func createOrganization(id: OrganizationID, name: String, planID: String, regionID: String?, createdAt: Date) throws
    func setOrganizationPlan(id: OrganizationID, planID: String) throws
    func setOrganizationRegion(id: OrganizationID, regionID: String?) throws
    func organizationNames(ids: Set<OrganizationID>) throws -> [OrganizationID: String]
    func organizations(matchingPrefix prefix: String, limit: Int) throws -> [(id: OrganizationID, name: String)]

    // MARK: Staff, sign-in tokens, revocations
    func staffAccount(username: String) throws -> StaffAccount?
    func staff(id: StaffID) throws -> StaffIdentity?
    func allStaff() throws -> [StaffIdentity]
    func staffNames(ids: Set<StaffID>) throws -> [StaffID: String]
    func staff(forTokenHash tokenHash: String, now: Date) throws -> StaffIdentity?
    func createStaff(username: String, name: String, role: StaffRole, passwordHash: String, createdAt: Date) throws -> StaffIdentity
    func insertStaffToken(hash: String, staffID: StaffID, createdAt: Date, expiresAt: Date) throws
    func deleteStaffToken(hash: String) throws -> Bool
    func deleteExpiredStaffTokens(now: Date) throws -> Int
    func revokeStaffSessions(username: String, disable: Bool, at now: Date) throws -> StaffIdentity?
    func latestStaffRevocationSeq() throws -> Int64
    func staffRevocations(after seq: Int64, limit: Int) throws -> [StaffRevocation]

    // MARK: Transcripts, search, analytics
    func sessions(matching filter: TranscriptFilter) throws -> [TranscriptSummary]
    func countSessions(matching filter: TranscriptFilter) throws -> Int
    func transcriptFacts(sessionID: SessionID) throws -> TranscriptFacts
    func search(_ search: TranscriptSearch) throws -> SearchPage
    func analytics(_ query: AnalyticsQuery, now: Date) throws -> AnalyticsReport
    func rate(sessionID: SessionID, organizationID: OrganizationID, contactID: ContactID, rating: Int,
              comment: String?, at now: Date, changeWindowSeconds: Double) throws -> RatingOutcome
    func rating(sessionID: SessionID) throws -> ChatRating?
    func recordServiceOrder(_ order: StoredServiceOrder) throws -> Int64
    func serviceOrders(sessionID: SessionID) throws -> [StoredServiceOrder]

    // MARK: Tickets
    func ticket(number: Int64) throws -> Ticket?
    func ticketHistory(number: Int64) throws -> [TicketHistoryEntry]
    func ticketHistory(number: Int64, customerView: Bool) throws -> [TicketHistoryEntry]
    func tickets(matching filter: TicketFilter) throws -> [Ticket]
    func createTicket(_ draft: TicketDraft) throws -> Ticket
    func createTicketOnce(_ draft: TicketDraft, onCall: OnCallRequest?) throws
        -> (ticket: Ticket, created: Bool, onCall: OnCallQueueing)
    func changeTicketStatus(number: Int64, to status: TicketStatus, actor: Participant, at instant: Date,
                            policy: SupportPolicy) throws -> TicketUpdate
    func replyToTicket(number: Int64, actor: Participant, text: String, at instant: Date,
                       policy: SupportPolicy) throws -> TicketUpdate
    @discardableResult func appendTicketHistory(number: Int64, kind: TicketHistoryKind, text: String?, actor: Participant,
                             at instant: Date) throws -> TicketHistoryEntry
    func addTicketNote(number: Int64, text: String, actor: Participant, at instant: Date) throws -> TicketUpdate
    func assignTicket(number: Int64, to assignee: StaffRef?, actor: Participant, at instant: Date) throws -> TicketUpdate
    func pendingOnCallAlerts(limit: Int) throws -> [OnCallAlert]
    func finishOnCallAlert(id: Int64, delivered: Bool) throws

    // MARK: Canned replies, audit, attachments
    func cannedReplies(for staffID: StaffID) throws -> [CannedReply]
    func cannedReply(id: Int64) throws -> CannedReply?
    func saveCannedReply(id: Int64?, ownerID: StaffID?, shortcut: String, title: String, body: String,
                         at now: Date) throws -> CannedReply
    func deleteCannedReply(id: Int64) throws -> Bool
    func appendAudit(_ entries: [AuditEntry]) throws -> [Int64]
    func auditEntries(matching filter: AuditFilter) throws -> AuditPage
    /// Where attachment bytes live: a directory beside the database, or (cluster) a directory every node shares.
    var attachmentFiles: AttachmentFiles { get }
    func attachment(sessionID: SessionID, seq: Seq) throws -> StoredAttachment?
    func attachmentUses(sha256: String) throws -> Int

    // MARK: Retention and a person's data
    func deleteClosedChats(closedBefore cutoff: Date, limit: Int) throws -> Int
    func deleteClosedTickets(lastChangedBefore cutoff: Date, limit: Int) throws -> Int
    func eraseContact(organizationID: OrganizationID, contactID: ContactID) throws -> ErasureReport
    func exportContact(organizationID: OrganizationID, contactID: ContactID) throws -> ContactExport
}

/// What a new urgent ticket needs for its on-call alert: the organization's name, its daily limit, now.
public struct OnCallRequest: Sendable {
    public var organizationName: String
    public var perDay: Int
    public var now: Date
    public init(organizationName: String, perDay: Int, now: Date) {
        self.organizationName = organizationName
        self.perDay = perDay
        self.now = now
    }
}

/// The arguments callers usually leave out.
extension StorageBackend {
    public func storedSession(id: SessionID) throws -> StoredSession? { try storedSession(id: id, staffCandidate: nil) }
    public func historyPage(sessionID: SessionID, afterSeq: Seq, limit: Int,
                            mayRead: (StoredSession) -> Bool) throws -> HistoryPage {
        try historyPage(sessionID: sessionID, afterSeq: afterSeq, limit: limit, staffCandidate: nil, mayRead: mayRead)
    }
    public func events(sessionID: SessionID, afterSeq: Seq = 0) throws -> [SessionEvent] {
        try events(sessionID: sessionID, afterSeq: afterSeq, limit: nil)
    }
    public func createOrganization(id: OrganizationID, name: String, planID: String, regionID: String? = nil) throws {
        try createOrganization(id: id, name: name, planID: planID, regionID: regionID, createdAt: Date())
    }
    public func createStaff(username: String, name: String, role: StaffRole, passwordHash: String) throws -> StaffIdentity {
        try createStaff(username: username, name: name, role: role, passwordHash: passwordHash, createdAt: Date())
    }
    public func revokeStaffSessions(username: String, disable: Bool) throws -> StaffIdentity? {
        try revokeStaffSessions(username: username, disable: disable, at: Date())
    }
    public func staffRevocations(after seq: Int64) throws -> [StaffRevocation] { try staffRevocations(after: seq, limit: 1000) }
    public func createTicketOnce(_ draft: TicketDraft) throws -> (ticket: Ticket, created: Bool) {
        let result = try createTicketOnce(draft, onCall: nil)
        return (result.ticket, result.created)
    }
    @discardableResult public func indexSearch() throws -> Int { try indexSearch(chunk: SearchIndex.defaultChunk) }
}

/// The single writer of chat traffic: takes `StorageWrite`s in order and commits them in groups on a thread of
/// its own (see `GroupCommitWriter` for SQLite).
///
/// Threading contract (every implementation): `submit(_:)`, `queuedCount` and `failure` never wait for the
/// database (a brief lock) and are the only members the service thread may call. `start()`/`stop()` belong to
/// whoever owns the server's lifecycle; `stop()` blocks until every submitted write is committed or reported
/// failed. The callbacks given to `makeWriter` run on the writer thread, in commit order.
public protocol EventWriter: AnyObject, Sendable {
    func start()
    /// False, enqueuing nothing, if the queue cannot take all of `writes` or the writer is stopping.
    func submit(_ writes: [StorageWrite]) -> Bool
    var queuedCount: Int { get }
    /// The last storage error while commits fail for reasons outside the writes; nil when storage works.
    var failure: String? { get }
    func stop()
}
