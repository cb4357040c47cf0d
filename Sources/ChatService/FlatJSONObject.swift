/// A field value of a client frame as the decoder sees it: a JSON scalar, or `.nested` for an array or an object
/// (never a valid field value of a client frame). Plain value; safe on any thread.
enum WireValue: Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case nested
}

/// The fast path of client-frame decoding: a strict parser for the shape nearly every frame has, one JSON object
/// whose values are strings, short integers, booleans or null (`{"type":"send","sessionId":7,...}`).
///
/// It never decides what is valid. It answers only when it is sure to answer as `JSONSerialization` would, and
/// returns nil for everything else, which the caller then hands to `JSONSerialization`: invalid JSON, nested values,
/// fractions, exponents, integers of more than 15 digits, `-0`, lone surrogates, invalid UTF-8, duplicate keys,
/// a byte-order mark. `WireDecodingDifferentialTests` and the `WireDecodingFuzzer` target check that both paths give
/// the same result for every input. Why it exists: `JSONSerialization` builds Foundation objects (`NSNumber`,
/// bridged strings, a copied `Data`) and was a tenth of the service thread's time at 8,000 msgs/s.
///
/// Pure; safe on any thread.
enum FlatJSONObject {
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [String: WireValue]? {
        var parser = Parser(bytes: bytes)
        return parser.object()
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var at = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        private var current: UInt8? { at < bytes.count ? bytes[at] : nil }

        private mutating func skipSpace() {
            while at < bytes.count {
                switch bytes[at] {
                case 0x20, 0x09, 0x0A, 0x0D: at += 1
                default: return
                }
            }
        }

        mutating func object() -> [String: WireValue]? {
            skipSpace()
            guard current == UInt8(ascii: "{") else { return nil }
            at += 1
            var fields: [String: WireValue] = [:]
            fields.reserveCapacity(6)
            skipSpace()
            if current == UInt8(ascii: "}") {
                at += 1
                return atEnd() ? fields : nil
            }
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard current == UInt8(ascii: ":") else { return nil }
                at += 1
                skipSpace()
                guard let value = value(), fields.updateValue(value, forKey: key) == nil else { return nil }
                skipSpace()
                switch current {
                case UInt8(ascii: ","): at += 1
                case UInt8(ascii: "}"):
                    at += 1
                    return atEnd() ? fields : nil
                default: return nil
                }
            }
        }

        private mutating func atEnd() -> Bool {
            skipSpace()
            return at == bytes.count
        }

        private mutating func value() -> WireValue? {
            guard let byte = current else { return nil }
            switch byte {
            case UInt8(ascii: "\""): return string().map(WireValue.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return integer()
            default: return nil
            }
        }

        private mutating func literal(_ word: StaticString, _ value: WireValue) -> WireValue? {
            let count = word.utf8CodeUnitCount
            guard bytes.count - at >= count else { return nil }
            for k in 0..<count where bytes[at + k] != word.utf8Start[k] { return nil }
            at += count
            return value
        }

        /// `-?(0|[1-9][0-9]{0,14})` not followed by a fraction, exponent or further digit; exact as a Double.
        private mutating func integer() -> WireValue? {
            let negative = current == UInt8(ascii: "-")
            if negative { at += 1 }
            let start = at
            var value: Int64 = 0
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                guard at - start < 15 else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                at += 1
            }
            let digits = at - start
            guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")), !(negative && value == 0) else { return nil }
            switch current {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: return .number(Double(negative ? -value : value))
            }
        }

        /// A JSON string starting at the opening quote; nil for a raw control character, a bad escape, a lone
        /// surrogate or invalid UTF-8.
        private mutating func string() -> String? {
            guard current == UInt8(ascii: "\"") else { return nil }
            at += 1
            let start = at
            while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                guard byte >= 0x20 else { return nil }
                at += 1
            }
            guard let stop = current else { return nil }
            if stop == UInt8(ascii: "\"") {
                at += 1
                return String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<(at - 1)]), as: UTF8.self)
            }
            var buffer = Array(bytes[start..<at])
            while let byte = current {
                at += 1
                switch byte {
                case UInt8(ascii: "\""): return String(validating: buffer, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard escape(into: &buffer) else { return nil }
                case 0..<0x20: return nil
                default: buffer.append(byte)
                }
            }
            return nil
        }

        /// The escape after a backslash, appended as UTF-8.
        private mutating func escape(into buffer: inout [UInt8]) -> Bool {
            guard let byte = current else { return false }
            at += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(byte)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                guard let unit = hex4() else { return false }
                var scalarValue = UInt32(unit)
                if (0xD800...0xDBFF).contains(unit) {
                    guard current == UInt8(ascii: "\\") else { return false }
                    at += 1
                    guard current == UInt8(ascii: "u") else { return false }
                    at += 1
                    guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return false }
                    scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(scalarValue) else { return false }   // a lone low surrogate
                buffer.append(contentsOf: String(scalar).utf8)
            default: return false
            }
            return true
        }

        private mutating func hex4() -> UInt16? {
            guard bytes.count - at >= 4 else { return nil }
            var value: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[at]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt16(digit)
                at += 1
            }
            return value
        }
    }
}
