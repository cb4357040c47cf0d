import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// The core part of `StorageBackend` that `PostgresStore` implements so far (chat writes and reads, organizations,
/// staff). Until `PostgresStore: StorageBackend` is declared (once the supervision half lands), the core contract
/// tests run through this test-only protocol on both stores; then they can move to `forEachBackend`.
protocol CoreBackend: AnyObject {
    var kind: String { get }
    func makeWriter(capacity: Int, lingerSeconds: Double,
                    onCommit: @escaping @Sendable (CommitReceipt) -> Void,
                    onFailure: @escaping @Sendable (StorageFailure) -> Void,
                    onStorageState: @escaping @Sendable (String?) -> Void) -> any EventWriter
    func recoverState(tailSize: Int) throws -> RecoveredState
    func storedSession(id: SessionID, staffCandidate: StaffID?) throws -> StoredSession?
    func chatRequest(_ key: ChatRequestKey) throws -> (session: StoredSession, firstEvent: SessionEvent?)?
    func event(sessionID: SessionID, key: ClientMessageKey) throws -> SessionEvent?
    func historyPage(sessionID: SessionID, afterSeq: Seq, limit: Int, staffCandidate: StaffID?,
                     mayRead: (StoredSession) -> Bool) throws -> HistoryPage
    func session(id: SessionID) throws -> ChatSessionRecord?
    func events(sessionID: SessionID, afterSeq: Seq, limit: Int?) throws -> [SessionEvent]
    func readMarkers(sessionID: SessionID) throws -> [Participant.Role: Seq]
    func organization(id: OrganizationID) throws -> OrganizationRecord?
    func organizations() throws -> [OrganizationRecord]
    func createOrganization(id: OrganizationID, name: String, planID: String, regionID: String?, createdAt: Date) throws
    func setOrganizationPlan(id: OrganizationID, planID: String) throws
    func organizationNames(ids: Set<OrganizationID>) throws -> [OrganizationID: String]
    func organizations(matchingPrefix prefix: String, limit: Int) throws -> [(id: OrganizationID, name: String)]
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
    func recordServiceOrder(_ order: StoredServiceOrder) throws -> Int64
    func serviceOrders(sessionID: SessionID) throws -> [StoredServiceOrder]
    func attachment(sessionID: SessionID, seq: Seq) throws -> StoredAttachment?
    func attachmentUses(sha256: String) throws -> Int
}

extension ChatStore: CoreBackend {}
extension PostgresStore: CoreBackend {}

extension StorageContractCase {
    /// Runs `body` on a fresh SQLite store, then on a fresh PostgreSQL one when configured.
    func forEachCoreBackend(_ body: (any CoreBackend, String) throws -> Void) throws {
        try body(try makeSQLite(), "sqlite")
        if let postgres = try makePostgres() { try body(postgres, "postgres") }
    }

    /// Commits `writes` through the store's writer (stopped before returning); returns what it reported.
    @discardableResult
    func write(_ writes: [StorageWrite], to backend: any CoreBackend, linger: Double = 0) -> WriterLog {
        let log = WriterLog()
        let writer = backend.makeWriter(capacity: max(writes.count, 1), lingerSeconds: linger,
                                        onCommit: { log.commit($0) }, onFailure: { log.fail($0) },
                                        onStorageState: { log.state($0) })
        writer.start()
        XCTAssertTrue(writer.submit(writes), backend.kind)
        writer.stop()
        return log
    }
}
