import Foundation

/// Business-hours arithmetic for one `SupportRegion`: when support is open, which days are holidays, when it
/// opens next, and how business time adds up (for first-response targets).
///
/// A value type built once from the policy's region (`init` validates it) and then only read: every method is
/// pure (no system clock, no I/O, no shared mutable state; each call takes the instant it works from) and safe
/// to call from any thread.
///
/// Conventions:
/// - Opening hours are local times in the region's IANA zone. Each local day's instants are built with a
///   Gregorian `Calendar` in that zone (never by adding fixed seconds across days), so DST changes are honoured:
///   a 09:00-17:00 day is 8 real hours before and after a change.
/// - An open interval is half-open, `[open, close)`: 09:00:00 is open, 17:00:00 is closed.
/// - A holiday closes the whole local day. Holidays are taken literally: no "observed day" shift is applied
///   (Independence Day on a Saturday does not close the Friday before or the Monday after).
/// - If an opening or closing time does not exist on a DST-change day (it falls in the skipped hour), Foundation's
///   resolution applies: the time moves forward by the gap. A repeated (fall-back) local time means its first
///   occurrence.
/// - Searches for the next opening look at most `searchDays` local days ahead. A validated region always has
///   opening hours, so only a policy whose holidays close every opening day for a whole year hits that bound;
///   then the "never" answer is `Date.distantFuture` (no crash, no nil).
public struct SupportCalendar: Sendable {
    public let region: SupportRegion
    public let timeZone: TimeZone

    /// How many local days ahead `nextOpening`, `addingBusinessTime` and `closing` look before giving up.
    public static let searchDays = 366

    /// Gregorian calendar in the region's zone.
    let calendar: Calendar
    /// Opening spans (minutes from local midnight, sorted, merged) by ISO weekday; index 0 is unused.
    let spans: [[DailySpan]]
    /// The region's holiday rules, resolved, in policy order.
    let rules: [ResolvedHoliday]
    /// How many years away from its anchor year a (relative) holiday can land.
    let yearReach: Int

    /// Validates `region` and builds its calendar.
    /// Throws `CalendarError` for an unknown time zone; a region without opening hours; a weekday outside 1...7;
    /// a time that is not "HH:mm" (00:00-23:59; "24:00" is allowed as a closing time meaning midnight at the end
    /// of the day); a close not after its open; overlapping intervals on one weekday; a holiday rule that is not
    /// exactly one of fixed / nth weekday / relative, or has out-of-range fields; duplicate holiday names; a
    /// `relativeTo` naming no rule; relative rules that form a cycle.
    public init(region: SupportRegion) throws(CalendarError) {
        let label = "region \"\(region.id)\""
        guard let zone = TimeZone(identifier: region.timeZone) else {
            throw CalendarError("\(label): unknown time zone \"\(region.timeZone)\" (expected an IANA name such as \"America/Chicago\")")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.region = region
        self.timeZone = zone
        self.calendar = calendar
        self.spans = try Self.parseHours(region.hours, label: label)
        (self.rules, self.yearReach) = try Self.resolveHolidays(region.holidays, label: label)
    }

    // MARK: - Holidays

    /// The holiday rule covering the local date (in the region's zone) of `instant`, if any. When several rules
    /// fall on that date, the first in policy order. Pure; safe from any thread.
    public func holiday(on instant: Date) -> HolidayRule? {
        var lookup = HolidayLookup()
        return lookup.ruleIndex(on: localDay(of: instant), in: self).map { region.holidays[$0] }
    }

    /// The holidays falling in `year` (local dates), sorted by date, then policy order. Rules that do not occur
    /// that year (Feb 29 in a common year, a 5th weekday the month lacks) are left out; a relative rule whose
    /// date crosses a year boundary is listed in the year it lands in. Pure; safe from any thread.
    public func holidays(inYear year: Int) -> [(rule: HolidayRule, month: Int, day: Int)] {
        holidayDays(inYear: year).map { entry in
            let c = entry.day.components
            return (region.holidays[entry.rule], c.month, c.day)
        }
    }

    /// (rule index, day) pairs landing in `year`, sorted by day then rule index.
    func holidayDays(inYear year: Int) -> [(rule: Int, day: CivilDay)] {
        var found: [(rule: Int, day: CivilDay)] = []
        for anchor in (year - yearReach)...(year + yearReach) {
            for index in rules.indices {
                if let day = date(ofRule: index, anchorYear: anchor), day.year == year {
                    found.append((index, day))
                }
            }
        }
        return found.sorted { ($0.day, $0.rule) < ($1.day, $1.rule) }
    }

    /// The date of rule `index` computed from `anchorYear` (relative rules from their base's date that year).
    func date(ofRule index: Int, anchorYear year: Int) -> CivilDay? {
        switch rules[index] {
        case let .fixed(month, day):
            guard day <= CivilDay.daysIn(month: month, year: year) else { return nil }
            return CivilDay(year: year, month: month, day: day)
        case let .nthWeekday(month, weekday, ordinal):
            let length = CivilDay.daysIn(month: month, year: year)
            if ordinal < 0 {
                let last = CivilDay(year: year, month: month, day: length)
                return last.adding(days: -((last.isoWeekday - weekday + 7) % 7))
            }
            let first = CivilDay(year: year, month: month, day: 1)
            let day = 1 + (weekday - first.isoWeekday + 7) % 7 + (ordinal - 1) * 7
            guard day <= length else { return nil }
            return first.adding(days: day - 1)
        case let .relative(base, offset):
            return date(ofRule: base, anchorYear: year)?.adding(days: offset)
        }
    }

    // MARK: - Local days

    /// The local date of `instant` in the region's zone.
    func localDay(of instant: Date) -> CivilDay {
        let c = calendar.dateComponents([.year, .month, .day], from: instant)
        return CivilDay(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1)
    }

    /// The instant of local time `minutes` after midnight of `day` (1440 = midnight ending the day).
    func instant(_ day: CivilDay, minutes: Int) -> Date {
        let c = day.adding(days: minutes / 1440).components
        let rest = minutes % 1440
        let parts = DateComponents(year: c.year, month: c.month, day: c.day, hour: rest / 60, minute: rest % 60)
        if let date = calendar.date(from: parts) { return date }
        // Not expected for valid components; fall back to the zone's offset near that wall time.
        let wall = Date(timeIntervalSince1970: TimeInterval(day.number * 86_400 + minutes * 60))
        return wall.addingTimeInterval(-TimeInterval(timeZone.secondsFromGMT(for: wall)))
    }

    /// The open intervals of local `day` as instants, in order (none on holidays).
    func openIntervals(on day: CivilDay, lookup: inout HolidayLookup) -> [OpenInterval] {
        let daySpans = spans[day.isoWeekday]
        guard !daySpans.isEmpty, lookup.ruleIndex(on: day, in: self) == nil else { return [] }
        return daySpans.compactMap { span in
            let start = instant(day, minutes: span.open)
            let end = instant(day, minutes: span.close)
            return end > start ? OpenInterval(start: start, end: end) : nil
        }
    }
}

/// One open interval of a local day, as instants: `[start, end)`.
struct OpenInterval: Sendable, Equatable {
    var start: Date
    var end: Date
}

/// Opening hours of one weekday in minutes from local midnight: `[open, close)`, `close` up to 1440.
struct DailySpan: Sendable, Equatable {
    var open: Int
    var close: Int
}

/// A validated holiday rule; `relative` points at its base rule by index.
enum ResolvedHoliday: Sendable, Equatable {
    case fixed(month: Int, day: Int)
    case nthWeekday(month: Int, weekday: Int, ordinal: Int)
    case relative(base: Int, offsetDays: Int)
}

/// Per-call memo of holiday dates by year (a local `var`, never shared).
struct HolidayLookup {
    private var byYear: [Int: [CivilDay: Int]] = [:]

    mutating func ruleIndex(on day: CivilDay, in calendar: SupportCalendar) -> Int? {
        guard !calendar.rules.isEmpty else { return nil }
        let year = day.year
        if let known = byYear[year] { return known[day] }
        var table: [CivilDay: Int] = [:]
        for entry in calendar.holidayDays(inYear: year) where table[entry.day] == nil {
            table[entry.day] = entry.rule
        }
        byYear[year] = table
        return table[day]
    }
}
