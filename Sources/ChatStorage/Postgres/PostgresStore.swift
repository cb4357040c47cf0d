import ChatCore
import Foundation

// PLACEHOLDER being replaced by the PostgreSQL backend work (issue 14). Until then a postgres configuration fails
// at start-up with this error.
public enum PostgresBackend {
    /// Connects to `url`, migrates the schema and returns the backend. Blocking.
    public static func open(url: String, attachmentsRoot: URL) throws -> any StorageBackend {
        throw PGError(sqlState: "0A000", message: "the PostgreSQL backend is not built yet")
    }
}
