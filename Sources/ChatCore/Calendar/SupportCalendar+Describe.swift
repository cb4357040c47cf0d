import Foundation

extension SupportCalendar {
    /// A human description of `instant` in the IANA zone `identifier`, for messages to customers and agents:
    /// "Monday, November 23 at 9:00 AM CST". English names and a 12-hour clock from the fixed `en_US_POSIX`
    /// locale and pattern "EEEE, MMMM d 'at' h:mm a zzz", so the text does not depend on the host's locale. The
    /// zone is ICU's short name in that locale: "CST"/"CDT" for US zones, "GMT+1"/"GMT+2" for Europe/Madrid.
    /// No year. An unknown identifier describes the instant in UTC ("GMT"). Pure; safe from any thread (a
    /// formatter is made per call and never shared).
    public static func describe(_ instant: Date, inZone identifier: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = TimeZone(identifier: identifier) ?? TimeZone(secondsFromGMT: 0)!
        formatter.dateFormat = "EEEE, MMMM d 'at' h:mm a zzz"
        return formatter.string(from: instant)
    }
}
