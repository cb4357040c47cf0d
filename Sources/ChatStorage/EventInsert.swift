import ChatCore
import Foundation
import GRDB
import GRDBSQLite

/// Runs the writer's hottest statement, the INSERT of one appended event (`SessionEventRow.insertSQL`), binding its
/// 16 values through SQLite's C API. GRDB's `StatementArguments` boxes every value in an existential and retains,
/// copies and releases it: at 8,000 msgs/s that binding was an eighth of the writer thread's time, more than SQLite's
/// own insert. The statement still comes from GRDB (`cachedStatement`), runs inside GRDB's transaction, and a failure
/// throws GRDB's `DatabaseError` with SQLite's code, so the writer classifies it as before (a constraint is the
/// write's own fault).
///
/// Threading: on the database's writer queue only, inside `DatabasePool.write` (like any GRDB statement).
enum EventInsert {
    static func execute(_ statement: Statement, _ event: SessionEvent, id: Int64) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_bind_int64(handle, 1, id)
        sqlite3_bind_int64(handle, 2, event.sessionID)
        sqlite3_bind_int64(handle, 3, event.seq)
        sqlite3_bind_double(handle, 4, event.at.timeIntervalSince1970)
        bind(handle, 5, event.kind.rawValue)
        bind(handle, 6, event.author.role.rawValue)
        bind(handle, 7, event.author.id)
        bind(handle, 8, event.author.name)
        bind(handle, 9, event.text)
        bind(handle, 10, event.clientMessageID)
        bind(handle, 11, event.agent?.id)
        bind(handle, 12, event.agent?.name)
        bind(handle, 13, event.reason)
        bind(handle, 14, event.ticketNumber)
        bind(handle, 15, ProposalJSON.encode(event.proposal))
        bind(handle, 16, AttachmentJSON.encode(event.attachment))
        try RawStatement.step(statement)
    }

    /// SQLite copies the bytes (`SQLITE_TRANSIENT`): the Swift string need not outlive the call.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ handle: OpaquePointer, _ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { chars in
                if let start = chars.baseAddress {
                    sqlite3_bind_text(handle, index, start, Int32(chars.count), transient)
                } else {
                    sqlite3_bind_text(handle, index, "", 0, transient)   // "" (a NULL pointer would bind NULL)
                }
            }
        }
    }

    private static func bind(_ handle: OpaquePointer, _ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }
}

/// Runs a prepared statement whose values are already bound, through SQLite's C API (`EventInsert` says why), and
/// binds the three integers of an `event_index` entry the same way.
///
/// Threading: on the database's writer queue only, inside `DatabasePool.write`.
enum RawStatement {
    /// Steps `statement` once; a failure throws GRDB's `DatabaseError` with SQLite's code.
    static func step(_ statement: Statement) throws {
        let handle = statement.sqliteStatement
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let message = sqlite3_db_handle(handle).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }

    /// Binds `values` to the first parameters of `statement` and steps it once.
    static func run(_ statement: Statement, _ values: Int64...) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        for (index, value) in values.enumerated() { sqlite3_bind_int64(handle, Int32(index + 1), value) }
        try step(statement)
    }
}
