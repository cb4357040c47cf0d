import CHiredis
import Foundation

/// Where Redis listens, read from `redis://[:password@]host:port`.
struct RedisEndpoint: Sendable, Equatable {
    var host: String
    var port: Int
    var password: String?

    init?(url: String) {
        guard let components = URLComponents(string: url), components.scheme == "redis",
              let host = components.host, !host.isEmpty else { return nil }
        self.host = host
        self.port = components.port ?? 6379
        self.password = components.password.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// What one read from Redis gave.
enum RedisRead {
    /// A reply (already converted; the hiredis object is freed).
    case reply(RedisValue)
    /// Nothing arrived within the connection's timeout; the connection is still usable.
    case timedOut
    /// The connection failed (closed, reset, protocol error); drop it.
    case failed(String)
}

/// A Redis reply as Swift values. Bulk strings stay bytes (payloads are binary).
enum RedisValue: Equatable {
    case bytes([UInt8])
    case status(String)
    case error(String)
    case integer(Int64)
    case null
    case array([RedisValue])

    init(_ reply: UnsafeMutablePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            self = .bytes(r.len == 0 || r.str == nil ? [] : [UInt8](UnsafeRawBufferPointer(start: r.str, count: r.len)))
        case REDIS_REPLY_STATUS: self = .status(r.str.map { String(cString: $0) } ?? "")
        case REDIS_REPLY_ERROR: self = .error(r.str.map { String(cString: $0) } ?? "")
        case REDIS_REPLY_INTEGER: self = .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            var items: [RedisValue] = []
            items.reserveCapacity(r.elements)
            for index in 0..<r.elements {
                if let element = r.element[index] { items.append(RedisValue(element)) } else { items.append(.null) }
            }
            self = .array(items)
        default: self = .null
        }
    }

    var text: String? {
        switch self {
        case .bytes(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        default: return nil
        }
    }
}

/// One synchronous hiredis connection.
///
/// Threading: NOT thread-safe; owned by exactly one thread of `RedisBus` (the publisher or the subscriber) for
/// its whole life, which is why it needs no Sendable conformance. Every call blocks, at most `timeoutMilliseconds`
/// per read or write.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    /// Connects (blocking, at most `timeoutMilliseconds`), authenticates if the endpoint has a password, and
    /// sets the read/write timeout. Throws a `RedisBusError` with hiredis's message when that fails.
    init(endpoint: RedisEndpoint, timeoutMilliseconds: Int) throws {
        guard let context = chatd_redis_connect(endpoint.host, Int32(endpoint.port), timeoutMilliseconds) else {
            throw RedisBusError(message: "cannot allocate a Redis context")
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            throw RedisBusError(message: "cannot connect to Redis at \(endpoint.host):\(endpoint.port): \(message)")
        }
        self.context = context
        guard chatd_redis_set_timeout(context, timeoutMilliseconds) == REDIS_OK else {
            throw RedisBusError(message: "cannot set the Redis timeout: \(Self.errorText(context))")
        }
        if let password = endpoint.password {
            append([Array("AUTH".utf8), Array(password.utf8)])
            if case .reply(let reply) = read(), case .error(let message) = reply {
                throw RedisBusError(message: "Redis refused AUTH: \(message)")
            }
        }
    }

    deinit { redisFree(context) }

    /// Appends one command to the output buffer (nothing is sent until the next `read`). Arguments are
    /// binary-safe: each is passed with its length.
    func append(_ arguments: [[UInt8]]) {
        let count = arguments.count
        var pointers = [UnsafePointer<CChar>?](repeating: nil, count: count)
        var lengths = [Int](repeating: 0, count: count)
        // One contiguous copy keeps every argument's bytes alive for the call; hiredis copies them into its buffer.
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(0) { $0 + $1.count } + 1)
        var offsets: [Int] = []
        for argument in arguments {
            offsets.append(storage.count)
            storage.append(contentsOf: argument)
        }
        storage.append(0)  // never an empty buffer, so the base address is never nil
        storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            for index in 0..<count {
                pointers[index] = base + offsets[index]
                lengths[index] = arguments[index].count
            }
            _ = redisAppendCommandArgv(context, Int32(count), &pointers, &lengths)
        }
    }

    /// Sends what is buffered, then reads one reply (blocking up to the timeout).
    func read() -> RedisRead {
        var reply: UnsafeMutablePointer<redisReply>?
        var timedOut: Int32 = 0
        if chatd_redis_get_reply(context, &reply, &timedOut) == REDIS_OK {
            guard let reply else { return .failed("no reply") }
            defer { freeReplyObject(reply) }
            return .reply(RedisValue(reply))
        }
        if timedOut != 0 { return .timedOut }
        return .failed(Self.errorText(context))
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }
}

/// A failure of the Redis bus (connecting, authenticating, an unexpected reply).
struct RedisBusError: Error, CustomStringConvertible, Sendable {
    var message: String
    var description: String { message }
}
