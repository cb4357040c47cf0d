import ChatCore
import Foundation
import GRDB
import XCTest
@testable import ChatStorage

/// The supervision part of `StorageBackend` (transcripts, search, analytics, ratings, tickets, on-call outbox,
/// canned replies, audit, retention, a person's data), plus what its tests need to set data up (the chat writer,
/// organizations). Until `PostgresStore: StorageBackend` is declared (after both halves are merged), the
/// supervision contract tests run through this test-only protocol on both stores; then they can move to
/// `forEachBackend` unchanged.
protocol SupervisionBackend: AnyObject, Sendable {
    var kind: String { get }
    func makeWriter(capacity: Int, lingerSeconds: Double,
                    onCommit: @escaping @Sendable (CommitReceipt) -> Void,
                    onFailure: @escaping @Sendable (StorageFailure) -> Void,
                    onStorageState: @escaping @Sendable (String?) -> Void) -> any EventWriter
    func indexSearch(chunk: Int) throws -> Int
    func createOrganization(id: OrganizationID, name: String, planID: String, regionID: String?, createdAt: Date) throws
    func session(id: SessionID) throws -> ChatSessionRecord?
    func events(sessionID: SessionID, afterSeq: Seq, limit: Int?) throws -> [SessionEvent]

    func sessions(matching filter: TranscriptFilter) throws -> [TranscriptSummary]
    func countSessions(matching filter: TranscriptFilter) throws -> Int
    func transcriptFacts(sessionID: SessionID) throws -> TranscriptFacts
    func search(_ search: TranscriptSearch) throws -> SearchPage
    func analytics(_ query: AnalyticsQuery, now: Date) throws -> AnalyticsReport
    func rate(sessionID: SessionID, organizationID: OrganizationID, contactID: ContactID, rating: Int,
              comment: String?, at now: Date, changeWindowSeconds: Double) throws -> RatingOutcome
    func rating(sessionID: SessionID) throws -> ChatRating?

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
    func appendTicketHistory(number: Int64, kind: TicketHistoryKind, text: String?, actor: Participant,
                             at instant: Date) throws -> TicketHistoryEntry
    func addTicketNote(number: Int64, text: String, actor: Participant, at instant: Date) throws -> TicketUpdate
    func assignTicket(number: Int64, to assignee: StaffRef?, actor: Participant, at instant: Date) throws -> TicketUpdate
    func pendingOnCallAlerts(limit: Int) throws -> [OnCallAlert]
    func finishOnCallAlert(id: Int64, delivered: Bool) throws

    func cannedReplies(for staffID: StaffID) throws -> [CannedReply]
    func cannedReply(id: Int64) throws -> CannedReply?
    func saveCannedReply(id: Int64?, ownerID: StaffID?, shortcut: String, title: String, body: String,
                         at now: Date) throws -> CannedReply
    func deleteCannedReply(id: Int64) throws -> Bool
    func appendAudit(_ entries: [AuditEntry]) throws -> [Int64]
    func auditEntries(matching filter: AuditFilter) throws -> AuditPage
    func createStaff(username: String, name: String, role: StaffRole, passwordHash: String, createdAt: Date) throws -> StaffIdentity

    func deleteClosedChats(closedBefore cutoff: Date, limit: Int) throws -> Int
    func deleteClosedTickets(lastChangedBefore cutoff: Date, limit: Int) throws -> Int
    func eraseContact(organizationID: OrganizationID, contactID: ContactID) throws -> ErasureReport
    func exportContact(organizationID: OrganizationID, contactID: ContactID) throws -> ContactExport

    /// Runs one SQL statement outside the API (tests of what the schema itself refuses).
    func executeRaw(_ sql: String) throws
    /// Brings derived data up to date (SQLite's lazy event index and search file; nothing on PostgreSQL).
    func settle() throws
}

extension ChatStore: SupervisionBackend {
    func executeRaw(_ sql: String) throws { try dbPool.write { try $0.execute(sql: sql) } }
    func settle() throws {
        try indexAllEvents()
        _ = try indexSearch(chunk: 100_000)
    }
}

extension PostgresStore: SupervisionBackend {
    func executeRaw(_ sql: String) throws { try pool.with { _ = try $0.execute(sql) } }
    func settle() throws {}
}

extension StorageContractCase {
    /// Runs `body` on a fresh SQLite store, then on a fresh PostgreSQL one when configured.
    func forEachSupervisionBackend(_ body: (any SupervisionBackend, String) throws -> Void) throws {
        try body(try makeSQLite(), "sqlite")
        if let postgres = try makePostgres() { try body(postgres, "postgres") }
    }

    /// Commits `writes` through the store's chat writer (stopped before returning), then settles derived data.
    func seed(_ writes: [StorageWrite], to backend: any SupervisionBackend, file: StaticString = #filePath,
              line: UInt = #line) throws {
        let log = WriterLog()
        let writer = backend.makeWriter(capacity: max(writes.count, 1), lingerSeconds: 0,
                                        onCommit: { log.commit($0) }, onFailure: { log.fail($0) },
                                        onStorageState: { _ in })
        writer.start()
        XCTAssertTrue(writer.submit(writes), backend.kind, file: file, line: line)
        writer.stop()
        XCTAssertEqual(log.failures.map(\.message), [], backend.kind, file: file, line: line)
        try backend.settle()
    }
}
