import CPostgreSQL
import Foundation

/// One libpq connection to PostgreSQL, with parameterized statements in text format.
///
/// Threading: NOT thread-safe. A connection is confined to one thread at a time (the writer thread, one worker,
/// the lease thread); `PGPool` hands connections to threads one at a time. That confinement is why the class is
/// `@unchecked Sendable`: it may be handed from thread to thread, never shared.
///
/// Values cross as text: parameters are `PGValue`s rendered by `PGValue.text`, results are read with the typed
/// getters of `PGResult`. Every call blocks on the network.
public final class PGConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    public let url: String

    /// Connects (blocking). Throws `PGError` if the server cannot be reached or refuses the connection.
    public init(url: String) throws {
        self.url = url
        handle = PQconnectdb(url)
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.errorMessage(handle)
            PQfinish(handle)
            handle = nil
            throw PGError(sqlState: "08001", message: "cannot connect to PostgreSQL: \(message)")
        }
        // Quiet NOTICEs (CREATE ... IF NOT EXISTS) and keep exact float text (round trip of Double).
        _ = try? execute("SET client_min_messages = warning")
        _ = try? execute("SET extra_float_digits = 3")
    }

    deinit { if let handle { PQfinish(handle) } }

    /// Whether the connection is still usable (it may have been dropped by the server or the network).
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Re-establishes a dropped connection (blocking). Throws if the server still cannot be reached.
    public func reset() throws {
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PGError(sqlState: "08006", message: "cannot reconnect to PostgreSQL: \(Self.errorMessage(handle))")
        }
        _ = try? execute("SET client_min_messages = warning")
        _ = try? execute("SET extra_float_digits = 3")
    }

    /// Runs one statement with `$1...$n` parameters (nil is SQL NULL) and returns its rows.
    /// Throws `PGError` with the server's SQLSTATE on failure.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PGValue?] = []) throws -> PGResult {
        let texts: [String?] = parameters.map { $0?.text }
        let result: OpaquePointer? = withCStringArray(texts) { pointers in
            PQexecParams(handle, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
        }
        guard let result else {
            throw PGError(sqlState: "08006", message: Self.errorMessage(handle))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PGResult(result)
        default:
            // A connection that died mid-call answers with a result that has no SQLSTATE: call it 08006.
            let lost = PQstatus(handle) != CONNECTION_OK
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
                ?? (lost ? "08006" : "XX000")
            let message = PQresultErrorMessage(result).map { String(cString: $0) } ?? "unknown error"
            PQclear(result)
            throw PGError(sqlState: state, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Runs `body` inside BEGIN ... COMMIT; rolls back and rethrows if it throws (or the commit fails).
    public func transaction<T>(_ body: (PGConnection) throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    private static func errorMessage(_ handle: OpaquePointer?) -> String {
        guard let handle, let text = PQerrorMessage(handle) else { return "no connection" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Calls `body` with C strings for `values` (nil stays a null pointer), valid only during the call.
private func withCStringArray<R>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } }
    defer { for pointer in owned { free(pointer) } }
    return owned.withUnsafeMutableBufferPointer { buffer in
        body(buffer.map { UnsafePointer($0) })
    }
}

/// A statement parameter; rendered as PostgreSQL text input.
public enum PGValue: Sendable, Equatable {
    case text(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case bytes([UInt8])

    var text: String {
        switch self {
        case .text(let value): return value
        case .int(let value): return String(value)
        case .double(let value): return "\(value)"
        case .bool(let value): return value ? "t" : "f"
        case .bytes(let value): return "\\x" + value.map { String(format: "%02x", $0) }.joined()
        }
    }
}

/// Swift values that convert to `PGValue`, so call sites can write `[id, name, nil]`-style parameter lists as
/// `[.int(id), .text(name), nil]` or with these helpers: `pg(id)`.
public protocol PGValueConvertible { var pgValue: PGValue { get } }
extension String: PGValueConvertible { public var pgValue: PGValue { .text(self) } }
extension Int: PGValueConvertible { public var pgValue: PGValue { .int(Int64(self)) } }
extension Int64: PGValueConvertible { public var pgValue: PGValue { .int(self) } }
extension Int32: PGValueConvertible { public var pgValue: PGValue { .int(Int64(self)) } }
extension Double: PGValueConvertible { public var pgValue: PGValue { .double(self) } }
extension Bool: PGValueConvertible { public var pgValue: PGValue { .bool(self) } }
/// Instants are stored as `double precision` seconds since 1970 (exact round trip of `Date`).
extension Date: PGValueConvertible { public var pgValue: PGValue { .double(timeIntervalSince1970) } }

/// `value?.pgValue`: a parameter from any convertible value, nil for SQL NULL.
public func pg(_ value: (any PGValueConvertible)?) -> PGValue? { value?.pgValue }

/// The rows of one statement. Owns the libpq result; read it on the thread that ran the statement.
public final class PGResult: @unchecked Sendable {
    private let result: OpaquePointer

    init(_ result: OpaquePointer) { self.result = result }
    deinit { PQclear(result) }

    public var count: Int { Int(PQntuples(result)) }
    public var columnCount: Int { Int(PQnfields(result)) }
    /// Rows changed by an INSERT/UPDATE/DELETE.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public func column(named name: String) -> Int? {
        let index = PQfnumber(result, name)
        return index < 0 ? nil : Int(index)
    }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    public func string(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column), let value = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        return String(cString: value)
    }
    public func int(_ row: Int, _ column: Int) -> Int64? { string(row, column).flatMap { Int64($0) } }
    public func double(_ row: Int, _ column: Int) -> Double? { string(row, column).flatMap { Double($0) } }
    public func bool(_ row: Int, _ column: Int) -> Bool? { string(row, column).map { $0 == "t" } }
    public func date(_ row: Int, _ column: Int) -> Date? { double(row, column).map { Date(timeIntervalSince1970: $0) } }

    /// Named-column getters (a missing column reads as NULL).
    public func string(_ row: Int, _ name: String) -> String? { column(named: name).flatMap { string(row, $0) } }
    public func int(_ row: Int, _ name: String) -> Int64? { column(named: name).flatMap { int(row, $0) } }
    public func double(_ row: Int, _ name: String) -> Double? { column(named: name).flatMap { double(row, $0) } }
    public func bool(_ row: Int, _ name: String) -> Bool? { column(named: name).flatMap { bool(row, $0) } }
    public func date(_ row: Int, _ name: String) -> Date? { column(named: name).flatMap { date(row, $0) } }
}

/// An error from PostgreSQL or libpq: the SQLSTATE code (`23505` unique violation, `40001` serialization
/// failure, `08xxx` connection problems) and the server's message.
public struct PGError: Error, CustomStringConvertible, Sendable {
    public var sqlState: String
    public var message: String
    public init(sqlState: String, message: String) {
        self.sqlState = sqlState
        self.message = message
    }
    public var description: String { "PostgreSQL \(sqlState): \(message)" }
    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isConnectionProblem: Bool { sqlState.hasPrefix("08") || sqlState == "57P01" }
}

/// A small pool of connections for blocking readers (worker threads). Thread-safe: `with` checks a connection
/// out for the duration of its closure (opening one if none is idle), and replaces connections found broken.
public final class PGPool: @unchecked Sendable {
    public let url: String
    private let lock = NSLock()
    private var idle: [PGConnection] = []
    private let maxIdle: Int

    public init(url: String, maxIdle: Int = 8) {
        self.url = url
        self.maxIdle = maxIdle
    }

    /// Runs `body` with a connection of its own; blocking. A pooled connection that turns out to be broken
    /// (the server restarted, or ended idle sessions) is dropped and `body` runs again, once, on a fresh one: an
    /// idle connection's death is only seen at its first statement, which then never reached the server. A
    /// connection lost while `body` ran on a fresh connection is not retried (its statement may have run).
    public func with<T>(_ body: (PGConnection) throws -> T) throws -> T {
        let (connection, wasIdle) = try checkOut()
        do {
            let value = try body(connection)
            checkIn(connection)
            return value
        } catch let error as PGError where error.isConnectionProblem {
            // Drop it; a fresh one replaces it.
            guard wasIdle else { throw error }
            let fresh = try PGConnection(url: url)
            let value = try body(fresh)
            checkIn(fresh)
            return value
        } catch {
            checkIn(connection)
            throw error
        }
    }

    private func checkOut() throws -> (PGConnection, wasIdle: Bool) {
        lock.lock()
        while let connection = idle.popLast() {
            lock.unlock()
            if connection.isHealthy { return (connection, true) }
            lock.lock()
        }
        lock.unlock()
        return (try PGConnection(url: url), false)
    }

    private func checkIn(_ connection: PGConnection) {
        guard connection.isHealthy else { return }
        lock.lock()
        if idle.count < maxIdle { idle.append(connection) }
        lock.unlock()
    }
}
