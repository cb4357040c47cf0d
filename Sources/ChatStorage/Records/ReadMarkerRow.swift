import ChatCore
import GRDB

/// A row of `read_markers`: how far one role has read one session.
struct ReadMarkerRow: FetchableRecord, TableRecord {
    static let databaseTableName = "read_markers"

    enum Columns: String, ColumnExpression {
        case sessionID = "session_id"
        case role
        case seq
    }

    var sessionID: SessionID
    /// Nil when the stored role is not one this version knows; such rows are skipped by readers.
    var role: Participant.Role?
    var seq: Seq

    init(row: Row) {
        sessionID = row[Columns.sessionID]
        role = Participant.Role(rawValue: row[Columns.role])
        seq = row[Columns.seq]
    }

    /// Markers only move forward: a late or reordered write never lowers one.
    static let upsertSQL = """
        INSERT INTO read_markers (session_id, role, seq) VALUES (?, ?, ?)
        ON CONFLICT (session_id, role) DO UPDATE SET seq = max(seq, excluded.seq)
        """
}
