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

    /// Parses an instant: "2026-11-21T10:00:00Z", "2026-11-21T10:00:00.123Z" or with an offset
    /// ("2026-11-21T11:00:00+01:00"). Nil if invalid (a date alone is not an instant).
    public static func parseInstant(_ text: String) -> Date? {
        guard fieldsInRange(text) else { return nil }
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = full.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }

    /// Parses "2026-11-21" (midnight UTC) or an instant as `parseInstant` does. Nil if invalid.
    public static func parse(_ text: String) -> Date? {
        if let date = parseInstant(text) { return date }
        guard text.utf8.count == 10, fieldsInRange(text) else { return nil }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return day.date(from: text)
    }

    /// Foundation's parser rolls over impossible dates ("2026-11-31" becomes December 1st): check the calendar
    /// fields of "YYYY-MM-DD" and of "THH:MM:SS" when present.
    private static func fieldsInRange(_ text: String) -> Bool {
        let b = Array(text.utf8.prefix(19))
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for byte in b[from..<(from + count)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        guard b.count > 10 else { return true }
        guard let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return false }
        return hour < 24 && minute < 60 && second < 60
    }
}
