import ChatCore
import Foundation

/// Where a newest-first transcript listing continues: the last row of the previous page (its creation time as
/// stored, REAL seconds since 1970, and its id). Clients see it as an opaque token. Plain value; any thread.
public struct TranscriptCursor: Sendable, Equatable {
    public var createdAt: Double
    public var sessionID: SessionID

    public init(createdAt: Double, sessionID: SessionID) {
        self.createdAt = createdAt
        self.sessionID = sessionID
    }

    /// The cursor after `record` (the last row of a page).
    public init(after record: ChatSessionRecord) {
        self.init(createdAt: record.createdAt.timeIntervalSince1970, sessionID: record.id)
    }

    /// `"<seconds>_<id>"`; the seconds are printed so that they parse back to the same Double.
    public var token: String { "\(createdAt.description)_\(sessionID)" }

    public init?(token: String) {
        let parts = token.split(separator: "_")
        guard parts.count == 2, let seconds = Double(parts[0]), seconds.isFinite,
              let id = SessionID(parts[1]), id > 0 else { return nil }
        self.init(createdAt: seconds, sessionID: id)
    }
}
