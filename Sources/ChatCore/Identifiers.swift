/// Identifiers shared by every layer. Plain values: safe to pass between threads.

/// A chat session, allocated by the engine in increasing order (recovered from storage at start).
public typealias SessionID = Int64
/// A per-session event sequence number: 1, 2, 3... with no gaps once committed.
public typealias Seq = Int64
/// A live WebSocket connection, allocated by the transport; never reused within one process.
public typealias ConnectionID = UInt64
/// An organization (a customer of the vendor), as named by the host admin panel and our database.
public typealias OrganizationID = String
/// A contact (an administrator of an organization), as named by the host admin panel's token.
public typealias ContactID = String
/// A staff account (agent or supervisor) row id in the database.
public typealias StaffID = Int64
