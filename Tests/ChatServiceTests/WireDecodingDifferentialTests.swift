import ChatCore
import Foundation
import XCTest
@testable import ChatService

/// The fast path of client-frame decoding (`FlatJSONObject`) against `JSONSerialization`: for every generated frame
/// (valid frames of every type, then the same frames with JSON-level and byte-level mutations) both paths must give
/// the same result, success or failure, code, message and ref. A failing case prints its seed and the frame.
final class WireDecodingDifferentialTests: XCTestCase {
    private func bothPaths(_ bytes: [UInt8]) -> (fast: Result<ClientFrame, DecodingFailure>, slow: Result<ClientFrame, DecodingFailure>) {
        bytes.withUnsafeBytes { (WireDecoding.decode($0), WireDecoding.decode($0, fastPath: false)) }
    }

    func testTheFastPathTakesTheCommonFrames() {
        for frame in [#"{"type":"send","sessionId":12,"clientId":"m1","text":"hi \"there\" \u00e9\ud83d\ude00"}"#,
                      #" { "type" : "typing", "sessionId" : 1, "active" : true } "#,
                      #"{"type":"request_chat","product":"pressero","subject":"S","text":"T","clientId":"r1","timeZone":null}"#,
                      #"{"type":"read","sessionId":-3,"seq":999999999999999}"#, #"{}"#] {
            XCTAssertNotNil(Array(frame.utf8).withUnsafeBytes { FlatJSONObject.parse($0) }, frame)
        }
        XCTAssertEqual(Array(#"{"text":"a\nb\u0041\/"}"#.utf8).withUnsafeBytes { FlatJSONObject.parse($0) }, ["text": .string("a\nbA/")])
    }

    func testTheFastPathLeavesEverythingElseToJSONSerialization() {
        for frame in [#"{"a":1.5}"#, #"{"a":1e3}"#, #"{"a":1234567890123456}"#, #"{"a":-0}"#, #"{"a":01}"#, #"{"a":[1]}"#,
                      #"{"a":{"b":1}}"#, #"{"a":1,"a":2}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#, #"{"a":"x"} x"#,
                      #"{"a":"x",}"#, #"{"a":tru}"#, "{\"a\":\"\u{1}\"}", #"[]"#, "\u{FEFF}{}", #"{"a":"\q"}"#] {
            XCTAssertNil(Array(frame.utf8).withUnsafeBytes { FlatJSONObject.parse($0) }, frame)
        }
        XCTAssertNil([UInt8](#"{"a":""#.utf8 + [0xC3, 0x28] + #""}"#.utf8).withUnsafeBytes { FlatJSONObject.parse($0) })
    }

    func testBothPathsAgreeOnGeneratedAndMutatedFrames() {
        var taken = 0, total = 0
        for seed in UInt64(1)...UInt64(3_000) {
            var random = SplitMix(seed: seed)
            let frame = FrameGenerator.frame(&random)
            var variants = [frame]
            for _ in 0..<6 { variants.append(FrameGenerator.mutate(frame, &random)) }
            for bytes in variants {
                let (fast, slow) = bothPaths(bytes)
                total += 1
                if bytes.withUnsafeBytes({ FlatJSONObject.parse($0) }) != nil { taken += 1 }
                if fast != slow {
                    XCTFail("seed \(seed): \(String(decoding: bytes, as: UTF8.self).debugDescription)\n fast: \(fast)\n slow: \(slow)")
                    return
                }
            }
        }
        // Both kinds are exercised: frames the fast path answers and frames it leaves to JSONSerialization.
        XCTAssertGreaterThan(taken, total / 10, "\(taken) of \(total)")
        XCTAssertLessThan(taken, total * 4 / 5, "\(taken) of \(total)")
    }
}

/// Client frames for the differential test: every frame type with right, wrong and missing fields, JSON escapes,
/// non-ASCII text, numbers of every JSON form, nested values, null and whitespace; and mutations of their bytes.
enum FrameGenerator {
    static let types = ["hello", "ping", "request_chat", "send", "note", "typing", "read", "sync", "set_status", "take",
                        "transfer", "close", "respond_offer", "continue_chat", "convert", "propose_services",
                        "respond_services", "nope"]
    static let keys = ["type", "token", "nonce", "product", "subject", "text", "clientId", "urgent", "timeZone",
                       "sessionId", "active", "seq", "afterSeq", "status", "toAgent", "accept", "category", "severity",
                       "rate", "description", "estimateHours", "x"]
    static let strings = ["", "a", "hi there", "pressero", "available", "incident", "m1.2", "é", "e\\u0301", "\\u00e9",
                          "\\ud83d\\ude00", "😀", "tab\\there", "\\n", "\\u0000", "\\u001f", "\\\"q\\\"", "\\\\", "\\/",
                          "\\b\\f\\r", String(repeating: "x", count: 70), "日本語", "\u{7F}", "\u{85}"]
    static let numbers = ["0", "1", "7", "-1", "42", "999999999999999", "1000000000000000", "9007199254740993",
                          "1.0", "1.5", "-0", "0.0", "1e2", "1E+2", "2e-1", "-3.25", "123456789012345678901234"]
    static let others = ["true", "false", "null", "[]", "[1,\"a\"]", "{}", "{\"a\":1}"]

    static func pick<T>(_ values: [T], _ random: inout SplitMix) -> T { values[Int(random.next() % UInt64(values.count))] }

    static func value(_ random: inout SplitMix) -> String {
        switch random.next() % 4 {
        case 0, 1: return "\"" + pick(strings, &random) + "\""
        case 2: return pick(numbers, &random)
        default: return pick(others, &random)
        }
    }

    static func space(_ random: inout SplitMix) -> String {
        random.next() % 5 == 0 ? pick([" ", "\n", "\t", "\r\n  "], &random) : ""
    }

    static func frame(_ random: inout SplitMix) -> [UInt8] {
        var members = ["\"type\":\"\(pick(types, &random))\""]
        for _ in 0..<Int(random.next() % 7) {
            members.append("\"\(pick(keys, &random))\":\(space(&random))\(value(&random))")
        }
        if random.next() % 3 != 0 { members.shuffle(using: &random) }
        let body = members.map { space(&random) + $0 + space(&random) }.joined(separator: ",")
        return Array((space(&random) + "{" + body + "}" + space(&random)).utf8)
    }

    static func mutate(_ frame: [UInt8], _ random: inout SplitMix) -> [UInt8] {
        var bytes = frame
        guard !bytes.isEmpty else { return bytes }
        let at = Int(random.next() % UInt64(bytes.count))
        switch random.next() % 6 {
        case 0: bytes.remove(at: at)
        case 1: bytes.insert(pick(Array("{}[]\",:\\u0123456789-+.eEtrufalsn \u{1}".utf8) + [0xC3, 0xFF, 0x80], &random), at: at)
        case 2: bytes[at] = UInt8(truncatingIfNeeded: random.next())
        case 3: bytes = Array(bytes[..<at])
        case 4: bytes.insert(contentsOf: Array(",\"\(pick(keys, &random))\":\(value(&random))".utf8), at: max(0, bytes.count - 1))
        default: bytes.insert(contentsOf: Array("\\u\(pick(["d83d", "dc00", "00e9", "0000", "zz"], &random))".utf8), at: at)
        }
        return bytes
    }
}

extension SplitMix: RandomNumberGenerator {}
