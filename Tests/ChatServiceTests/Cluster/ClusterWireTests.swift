import ChatCore
import XCTest
@testable import ChatService

/// The bus message format: every operation round-trips, and no input, however malformed, traps the decoder.
final class ClusterWireTests: XCTestCase {
    let everyOp: [ClusterOp] = [
        .opened(1), .text(2, Array("{\"type\":\"hello\"}".utf8)), .text(3, []), .binary(4), .closed(5),
        .ticketChanged(number: 1042, change: .status), .ticketChanged(number: -1, change: .note),
        .logout(tokenHash: "abc123"), .deliver([7, 8, 0xFFFF_FFFF_FFFF], [0, 1, 2, 255]), .deliver([], []),
        .close(9, code: 1012, reason: "cluster_leader_changed"), .alive,
    ]

    func testEveryOperationRoundTrips() {
        let message = ClusterMessage(node: 65_535, incarnation: 0xDEAD_BEEF, generation: Int64.max, sequence: 77, ops: everyOp)
        XCTAssertEqual(ClusterMessage.decode(message.encoded()), message)
        let empty = ClusterMessage(node: 1, incarnation: 1, generation: -3, ops: [])
        XCTAssertEqual(ClusterMessage.decode(empty.encoded()), empty)
    }

    func testCloseReasonIsCutToTheWebSocketLimit() {
        let message = ClusterMessage(node: 1, incarnation: 1, generation: 1,
                                     ops: [.close(1, code: 1000, reason: String(repeating: "r", count: 500))])
        guard case .close(_, _, let reason)? = ClusterMessage.decode(message.encoded())?.ops.first else {
            return XCTFail("close lost")
        }
        XCTAssertEqual(reason.utf8.count, 123)
        // Cut at a character boundary: 61 two-byte characters (122 bytes), never half of the 62nd.
        let accented = ClusterMessage(node: 1, incarnation: 1, generation: 1,
                                      ops: [.close(1, code: 1000, reason: String(repeating: "é", count: 100))])
        XCTAssertEqual(ClusterMessage.decode(accented.encoded())?.ops, [.close(1, code: 1000, reason: String(repeating: "é", count: 61))])
        // A longer reason than any encoder writes is malformed.
        var long: [UInt8] = ClusterMessage(node: 1, incarnation: 1, generation: 1, ops: []).encoded()
        long += [11] + [UInt8](repeating: 0, count: 8) + [0xE8, 0x03] + [124, 0, 0, 0] + [UInt8](repeating: 0x61, count: 124)
        XCTAssertNil(ClusterMessage.decode(long))
    }

    func testTruncatedAndCorruptedMessagesAreRefusedWithoutTrapping() {
        let bytes = ClusterMessage(node: 3, incarnation: 4, generation: 5, ops: everyOp).encoded()
        // Every prefix short of the whole is refused (or, at an operation boundary, decodes to fewer operations).
        for length in 0..<bytes.count {
            if let partial = ClusterMessage.decode(Array(bytes.prefix(length))) {
                XCTAssertLessThan(partial.ops.count, everyOp.count, "prefix \(length)")
            }
        }
        XCTAssertNil(ClusterMessage.decode([2] + bytes.dropFirst()), "another version")
        XCTAssertNil(ClusterMessage.decode(Array(bytes.prefix(23)) + [99]), "unknown operation")
        // A deliver claiming more ids than bytes follow.
        var huge = Array(bytes.prefix(23))
        huge += [10, 0xFF, 0xFF, 0xFF, 0x7F]
        XCTAssertNil(ClusterMessage.decode(huge))
    }

    func testRandomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        print("ClusterWireTests random seed \(seed) (a trap below reproduces with it)")
        var rng = SplitMix(seed: seed)
        let valid = ClusterMessage(node: 3, incarnation: 4, generation: 5, ops: everyOp).encoded()
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                let index = Int(rng.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = ClusterMessage.decode(bytes)
        }
    }

    func testSequenceNumbersDropDuplicatesAndRevealGaps() {
        let sender = ClusterNode(settings: ClusterSettings(node: 2, redisURL: "redis://127.0.0.1:1"), role: .relay)
        let receiver = ClusterNode(settings: ClusterSettings(node: 1, redisURL: "redis://127.0.0.1:1"),
                                   role: .leader(generation: 1))
        let first = sender.message([.alive], on: "c"), second = sender.message([.alive], on: "c")
        let third = sender.message([.alive], on: "c"), fourth = sender.message([.alive], on: "c")
        XCTAssertEqual([first.sequence, second.sequence, fourth.sequence], [1, 2, 4])
        XCTAssertEqual(sender.message([.alive], on: "other").sequence, 1, "numbered per channel")
        XCTAssertEqual(receiver.check(second, on: "c"), .next, "a sender's first message is taken as it comes")
        XCTAssertEqual(receiver.check(second, on: "c"), .duplicate)
        XCTAssertEqual(receiver.check(first, on: "c"), .duplicate)
        XCTAssertEqual(receiver.check(fourth, on: "c"), .gap, "third was lost")
        XCTAssertEqual(receiver.check(third, on: "c"), .duplicate, "late after the gap: dropped")
        XCTAssertEqual(receiver.check(first, on: "elsewhere"), .next)
        let restarted = ClusterNode(settings: ClusterSettings(node: 2, redisURL: "redis://127.0.0.1:1"), role: .relay)
        XCTAssertEqual(receiver.check(restarted.message([.alive], on: "c"), on: "c"), .next, "a new incarnation starts over")
    }

    func testConnectionIDsOfRelaysNeverCollideWithLocalOnes() {
        let global = ClusterNode.globalID(node: 7, local: 42)
        XCTAssertTrue(ClusterNode.isRemote(global))
        XCTAssertEqual(ClusterNode.node(of: global), 7)
        XCTAssertEqual(ClusterNode.localID(of: global), 42)
        XCTAssertFalse(ClusterNode.isRemote(42))
        XCTAssertNotEqual(ClusterNode.globalID(node: 7, local: 42), ClusterNode.globalID(node: 8, local: 42))
    }
}

/// A small seeded generator (reproducible runs).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
