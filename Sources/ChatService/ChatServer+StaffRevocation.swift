import ChatCore
import ChatStorage
import Foundation

/// Staff sessions revoked by `chatd admin disable-staff` / `revoke-sessions` (another process), as reported by the
/// `RevocationWatcher` through the mailbox. Service thread only.
extension ChatServer {
    /// Service thread: staff sessions revoked in the database (by `chatd admin`, another process): close every
    /// WebSocket of those staff members with 4401. Their tokens are already gone from the database.
    func revocationsArrived(_ revocations: [StaffRevocation]) {
        var reasons: [StaffID: StaffRevocationReason] = [:]
        for revocation in revocations { reasons[revocation.staffID] = revocation.reason }
        for (c, link) in links {
            guard case .staff(let staff)? = link.principal, let reason = reasons[staff.id] else { continue }
            metrics.recordRevocation()
            let message = reason == .accountDisabled
                ? "Your account was disabled by an administrator." : "Your sessions were revoked by an administrator; log in again."
            sendFrame(WireEncoding.error(.sessionTokenInvalid, message), to: c)
            closeConnection(c, code: 4401, reason: reason.rawValue)
        }
        logger.notice("staff sessions revoked", metadata: ["chat.staff": "\(reasons.keys.sorted())"])
    }
}
