/// A support region: where the support team works, in which time zone, on which days and hours.
/// Pure data from the policy; `SupportCalendar` does the arithmetic.
public struct SupportRegion: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// IANA time zone, e.g. "America/Chicago".
    public var timeZone: String
    /// Opening hours by ISO weekday (1 = Monday ... 7 = Sunday). Days not listed are closed.
    public var hours: [WeeklyHours]
    public var holidays: [HolidayRule]

    public init(id: String, name: String, timeZone: String, hours: [WeeklyHours], holidays: [HolidayRule]) {
        self.id = id
        self.name = name
        self.timeZone = timeZone
        self.hours = hours
        self.holidays = holidays
    }
}

/// Opening hours on one weekday, in the region's local time ("09:00" to "17:00").
public struct WeeklyHours: Sendable, Equatable, Codable {
    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    public var weekday: Int
    public var open: String
    public var close: String

    public init(weekday: Int, open: String, close: String) {
        self.weekday = weekday
        self.open = open
        self.close = close
    }

    /// Monday to Friday with the same hours.
    public static func weekdays(open: String, close: String) -> [WeeklyHours] {
        (1...5).map { WeeklyHours(weekday: $0, open: open, close: close) }
    }
}

/// A holiday, as a rule so it holds every year:
/// - fixed date: `month` + `day` (Christmas: 12/25);
/// - nth weekday of a month: `month` + `weekday` + `ordinal` (Thanksgiving: 11, Thursday (4), 4th; Memorial Day:
///   5, Monday (1), ordinal -1 = last);
/// - relative to another rule: `relativeTo` (that rule's name) + `offsetDays` (the Friday after Thanksgiving: +1).
public struct HolidayRule: Sendable, Equatable, Codable {
    public var name: String
    public var month: Int?
    public var day: Int?
    public var weekday: Int?
    public var ordinal: Int?
    public var relativeTo: String?
    public var offsetDays: Int?

    public init(name: String, month: Int? = nil, day: Int? = nil, weekday: Int? = nil, ordinal: Int? = nil,
                relativeTo: String? = nil, offsetDays: Int? = nil) {
        self.name = name
        self.month = month
        self.day = day
        self.weekday = weekday
        self.ordinal = ordinal
        self.relativeTo = relativeTo
        self.offsetDays = offsetDays
    }

    public static func fixed(_ name: String, month: Int, day: Int) -> HolidayRule {
        HolidayRule(name: name, month: month, day: day)
    }
    public static func nthWeekday(_ name: String, month: Int, weekday: Int, ordinal: Int) -> HolidayRule {
        HolidayRule(name: name, month: month, weekday: weekday, ordinal: ordinal)
    }
    public static func relative(_ name: String, to other: String, offsetDays: Int) -> HolidayRule {
        HolidayRule(name: name, relativeTo: other, offsetDays: offsetDays)
    }
}
