import Foundation
import GRDB

extension ChatStore {
    /// Copies the whole database, as of one instant, into a new file at `path` (SQLite's online backup API, in
    /// one step inside one read transaction: a consistent snapshot, taken while the server keeps writing, which
    /// it never blocks). Refuses to overwrite an existing file. The copy is a complete database in rollback
    /// journal mode; start a server on it by putting it at `DATA/chat.sqlite` of an empty data directory.
    ///
    /// Blocking; any thread but the lws service thread (the admin CLI runs it).
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StorageError(code: "backup_exists", message: "\(path) already exists; choose a new file.")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let target = try DatabaseQueue(path: partial)
            try dbPool.backup(to: target)
            try target.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try target.close()
            // Only a complete copy gets the name asked for.
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// SQLite's full integrity check and the foreign key check: the problems found, empty when the file is
    /// sound. Blocking; reads every page.
    public func verify() throws -> [String] {
        try dbPool.read { db in
            var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            for row in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") {
                problems.append("foreign key: table \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? -1) refers to a missing \(row[2] as String? ?? "?") row")
            }
            let unindexed = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM events e WHERE e.id <= (SELECT indexed_through FROM event_index_state WHERE id = 1)
                AND NOT EXISTS (SELECT 1 FROM event_index i WHERE i.event_id = e.id)
                """) ?? 0
            if unindexed > 0 { problems.append("event index: \(unindexed) events before the boundary have no entry") }
            return problems
        } + [search.integrityProblem()].compactMap { $0 }
    }
}
