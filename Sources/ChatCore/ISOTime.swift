import Foundation

/// UTC timestamps as ISO 8601 with milliseconds ("2026-11-21T23:51:26.123Z"), the one time format of the protocol
/// (docs/PROTOCOL.md §0). Formatted without Foundation formatters (they are slow and not needed for UTC). Pure;
/// safe from any thread.
public enum ISOTime {
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        let ms = Int(millis - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms), 3))Z"
    }

    /// Parses an instant: "2026-11-21T10:00:00Z", "2026-11-21T10:00:00.123Z" (1 to 9 fractional digits) or with an
    /// offset ("2026-11-21T11:00:00+01:00"). Nil if invalid (a date alone is not an instant).
    ///
    /// A strict parser of its own, not Foundation's: ICU's parser rolled impossible dates over ("2026-11-31" became
    /// December 1st) and crashed the process (SIGFPE) on a long fraction ("...00.1299999999999999999999Z", found by
    /// fuzzing the HTTP query parser); this one reads only the digits it expects.
    public static func parseInstant(_ text: String) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let day = scanner.date(), scanner.take(UInt8(ascii: "T")),
              let hour = scanner.digits(2), scanner.take(UInt8(ascii: ":")),
              let minute = scanner.digits(2), scanner.take(UInt8(ascii: ":")),
              let second = scanner.digits(2), hour < 24, minute < 60, second < 60 else { return nil }
        var fraction = 0.0
        if scanner.take(UInt8(ascii: ".")) {
            guard let (value, count) = scanner.fraction(maxDigits: 9) else { return nil }
            fraction = Double(value) / pow(10, Double(count))
        }
        var offset = 0
        if scanner.take(UInt8(ascii: "Z")) {
            offset = 0
        } else if let sign = scanner.sign(), let oh = scanner.digits(2), scanner.take(UInt8(ascii: ":")),
                  let om = scanner.digits(2), oh < 24, om < 60 {
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard scanner.atEnd else { return nil }
        let seconds = day * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Parses "2026-11-21" (midnight UTC) or an instant as `parseInstant` does. Nil if invalid.
    public static func parse(_ text: String) -> Date? {
        if let date = parseInstant(text) { return date }
        var scanner = Scanner(Array(text.utf8))
        guard let day = scanner.date(), scanner.atEnd else { return nil }
        return Date(timeIntervalSince1970: Double(day * 86_400))
    }

    /// Reads the fixed-width fields of the accepted forms; every read checks its bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + count)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += count
            return value
        }

        /// 1 to `maxDigits` digits after the point: (value, digit count).
        mutating func fraction(maxDigits: Int) -> (Int, Int)? {
            var value = 0, count = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                guard count < maxDigits else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
                count += 1
                index += 1
            }
            return count > 0 ? (value, count) : nil
        }

        mutating func sign() -> Int? {
            if take(UInt8(ascii: "+")) { return 1 }
            if take(UInt8(ascii: "-")) { return -1 }
            return nil
        }

        /// "YYYY-MM-DD" (year 0001-9999, a real calendar day) as days since 1970-01-01.
        mutating func date() -> Int? {
            guard let year = digits(4), take(UInt8(ascii: "-")), let month = digits(2), take(UInt8(ascii: "-")),
                  let day = digits(2), year >= 1, (1...12).contains(month) else { return nil }
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            guard (1...days).contains(day) else { return nil }
            // Days from the civil date (proleptic Gregorian), H. Hinnant's algorithm.
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yoe = y - era * 400
            let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            return era * 146_097 + doe - 719_468
        }
    }
}
