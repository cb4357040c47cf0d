import ChatCore
import Foundation

/// One message on the cluster bus: who sent it and a list of operations, in order.
///
/// Binary, little-endian: `version u8 (1) | sender node u16 | incarnation u32 | generation i64 | sequence u64 | ops...`.
/// `sequence` counts the sender's messages on one channel (1, 2, ...): a receiver drops what it has seen (the bus may
/// deliver a message twice after a reconnect) and treats a gap as lost messages.
/// `incarnation` is random per process start (a restarted node is told apart from its previous life);
/// `generation` is the engine lease's fencing generation: the leader's own, or the one a relaying node believes in
/// (a leader drops operations meant for another generation: their connections were never opened on it).
/// Plain value; safe on any thread. Decoding never traps: malformed input gives nil.
struct ClusterMessage: Equatable, Sendable {
    var node: UInt16
    var incarnation: UInt32
    var generation: Int64
    var sequence: UInt64 = 0
    var ops: [ClusterOp]
}

/// What one message carries. Connection ids are the sending relay's own (48 bits); the leader prefixes them with
/// the relay's node number.
enum ClusterOp: Equatable, Sendable {
    // Relay -> leader: a client's WebSocket on the relay.
    case opened(UInt64)
    case text(UInt64, [UInt8])
    case binary(UInt64)
    case closed(UInt64)
    // Relay -> leader: HTTP work on the relay the engine must hear of.
    case ticketChanged(number: Int64, change: TicketNoticeKind)
    case logout(tokenHash: String)
    // Leader -> relay.
    case deliver([UInt64], [UInt8])
    case close(UInt64, code: UInt16, reason: String)
    // Heartbeats: a relay's to the leader, the leader's to every node.
    case alive

    fileprivate var tag: UInt8 {
        switch self {
        case .opened: 1
        case .text: 2
        case .binary: 3
        case .closed: 4
        case .ticketChanged: 5
        case .logout: 6
        case .deliver: 10
        case .close: 11
        case .alive: 20
        }
    }
}

extension ClusterMessage {
    static let version: UInt8 = 1

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 + ops.count * 16)
        out.append(Self.version)
        out.put(node)
        out.put(incarnation)
        out.put(UInt64(bitPattern: generation))
        out.put(sequence)
        for op in ops {
            out.append(op.tag)
            switch op {
            case .opened(let id), .binary(let id), .closed(let id):
                out.put(id)
            case let .text(id, bytes):
                out.put(id)
                out.putBytes(bytes)
            case let .ticketChanged(number, change):
                out.put(UInt64(bitPattern: number))
                out.putBytes(Array(change.rawValue.utf8))
            case .logout(let hash):
                out.putBytes(Array(hash.utf8))
            case let .deliver(ids, bytes):
                out.put(UInt32(ids.count))
                for id in ids { out.put(id) }
                out.putBytes(bytes)
            case let .close(id, code, reason):
                out.put(id)
                out.put(code)
                out.putBytes(Self.closeReasonBytes(reason))
            case .alive:
                break
            }
        }
        return out
    }

    /// A WebSocket close reason's bytes: at most 123, cut at a character boundary.
    static func closeReasonBytes(_ reason: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in reason.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if bytes.count + encoded.count > 123 { break }
            bytes += encoded
        }
        return bytes
    }

    /// The message in `bytes`, or nil if they are not a well-formed message of this version.
    static func decode(_ bytes: [UInt8]) -> ClusterMessage? {
        var reader = ByteReader(bytes)
        guard reader.u8() == version, let node = reader.u16(), let incarnation = reader.u32(),
              let generation = reader.u64(), let sequence = reader.u64() else { return nil }
        var ops: [ClusterOp] = []
        while !reader.atEnd {
            guard let tag = reader.u8() else { return nil }
            let op: ClusterOp?
            switch tag {
            case 1: op = reader.u64().map(ClusterOp.opened)
            case 2: op = reader.u64().flatMap { id in reader.bytes().map { .text(id, $0) } }
            case 3: op = reader.u64().map(ClusterOp.binary)
            case 4: op = reader.u64().map(ClusterOp.closed)
            case 5:
                op = reader.u64().flatMap { number in
                    reader.string().flatMap(TicketNoticeKind.init(rawValue:)).map {
                        .ticketChanged(number: Int64(bitPattern: number), change: $0)
                    }
                }
            case 6: op = reader.string().map { .logout(tokenHash: $0) }
            case 10:
                guard let count = reader.u32(), Int(count) <= reader.remaining / 8 else { return nil }
                var ids: [UInt64] = []
                ids.reserveCapacity(Int(count))
                for _ in 0..<count {
                    guard let id = reader.u64() else { return nil }
                    ids.append(id)
                }
                op = reader.bytes().map { .deliver(ids, $0) }
            case 11:
                op = reader.u64().flatMap { id in
                    reader.u16().flatMap { code in
                        // The encoder never writes more than a close frame can carry.
                        reader.string().flatMap { $0.utf8.count <= 123 ? .close(id, code: code, reason: $0) : nil }
                    }
                }
            case 20: op = .alive
            default: op = nil
            }
            guard let op else { return nil }
            ops.append(op)
        }
        return ClusterMessage(node: node, incarnation: incarnation, generation: Int64(bitPattern: generation),
                              sequence: sequence, ops: ops)
    }
}

private extension Array where Element == UInt8 {
    mutating func put<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
    mutating func putBytes(_ bytes: [UInt8]) {
        put(UInt32(bytes.count))
        append(contentsOf: bytes)
    }
}

/// Reads little-endian fields; every read returns nil past the end instead of trapping.
private struct ByteReader {
    let data: [UInt8]
    var offset = 0
    init(_ data: [UInt8]) { self.data = data }

    var atEnd: Bool { offset >= data.count }
    var remaining: Int { data.count - offset }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        var value: T = 0
        for i in 0..<size { value |= T(data[offset + i]) << (8 * i) }
        offset += size
        return value
    }
    mutating func u8() -> UInt8? { integer(UInt8.self) }
    mutating func u16() -> UInt16? { integer(UInt16.self) }
    mutating func u32() -> UInt32? { integer(UInt32.self) }
    mutating func u64() -> UInt64? { integer(UInt64.self) }
    mutating func bytes() -> [UInt8]? {
        guard let count = u32(), Int(count) <= remaining else { return nil }
        defer { offset += Int(count) }
        return Array(data[offset..<(offset + Int(count))])
    }
    mutating func string() -> String? { bytes().map { String(decoding: $0, as: UTF8.self) } }
}
