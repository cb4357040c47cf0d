/// How hard a commit waits for the disk. The database is always in WAL mode; this picks `PRAGMA synchronous`.
///
/// Plain value; safe on any thread.
public enum Durability: Sendable, Equatable {
    /// `synchronous = FULL`: a committed transaction survives power loss. The default.
    case full
    /// `synchronous = NORMAL`: in WAL mode, a commit survives a crash of the process but the last
    /// transactions may be lost on power loss. Faster commits.
    case normal

    var pragmaValue: String {
        switch self {
        case .full: return "FULL"
        case .normal: return "NORMAL"
        }
    }
}
