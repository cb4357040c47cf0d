import Foundation

extension SupportCalendar {
    /// Whether support is open at `instant`: the local time is within `[open, close)` of the local weekday's
    /// hours, and the local date is not a holiday. Pure; safe from any thread.
    public func isOpen(at instant: Date) -> Bool {
        var lookup = HolidayLookup()
        return interval(containing: instant, lookup: &lookup) != nil
    }

    /// `instant` itself when open; otherwise the start of the next open interval (skipping closed weekdays and
    /// holidays). Looks at most `searchDays` local days ahead and returns `Date.distantFuture` if nothing opens
    /// by then (only possible when holidays close every opening day for a year). Pure; safe from any thread.
    public func nextOpening(atOrAfter instant: Date) -> Date {
        var lookup = HolidayLookup()
        guard let next = nextInterval(atOrAfter: instant, lookup: &lookup) else { return .distantFuture }
        return max(instant, next.start)
    }

    /// When open at `instant`: the end of the current open interval (following on through intervals that start
    /// exactly where the previous ends, e.g. "00:00"-"24:00" days, for at most `searchDays` days); otherwise nil.
    /// Pure; safe from any thread.
    public func closing(after instant: Date) -> Date? {
        var lookup = HolidayLookup()
        guard var end = interval(containing: instant, lookup: &lookup)?.end else { return nil }
        let limit = instant.addingTimeInterval(TimeInterval(Self.searchDays) * 86_400)
        while end < limit, let next = nextInterval(atOrAfter: end, lookup: &lookup), next.start == end {
            end = next.end
        }
        return end
    }

    /// The instant at which `seconds` of business time have elapsed from `start`, walking open intervals.
    /// Starting outside hours counts from the next opening; a target that ends exactly at a closing time is that
    /// closing time (not the next opening). Zero, negative or NaN `seconds` give `nextOpening(atOrAfter: start)`
    /// (so `start` itself when open). Returns `Date.distantFuture` for infinite `seconds` or when no opening is
    /// found within `searchDays` days of some point of the walk. Pure; safe from any thread.
    public func addingBusinessTime(_ seconds: TimeInterval, to start: Date) -> Date {
        guard seconds > 0 else { return nextOpening(atOrAfter: start) }
        guard seconds.isFinite else { return .distantFuture }
        var lookup = HolidayLookup()
        var remaining = seconds
        var cursor = start
        while true {
            guard let next = nextInterval(atOrAfter: cursor, lookup: &lookup) else { return .distantFuture }
            let from = max(cursor, next.start)
            let available = next.end.timeIntervalSince(from)
            if remaining <= available { return from.addingTimeInterval(remaining) }
            remaining -= available
            cursor = next.end
        }
    }

    /// Business seconds in `[start, end)`: the overlap of that range with the open intervals. 0 when
    /// `end <= start`. Cost grows with the number of local days spanned. Pure; safe from any thread.
    public func businessTime(from start: Date, to end: Date) -> TimeInterval {
        guard end > start else { return 0 }
        var lookup = HolidayLookup()
        var total: TimeInterval = 0
        var day = localDay(of: start)
        let last = localDay(of: end)
        while day <= last {
            for open in openIntervals(on: day, lookup: &lookup) {
                let from = max(open.start, start)
                let to = min(open.end, end)
                if to > from { total += to.timeIntervalSince(from) }
            }
            day = day.adding(days: 1)
        }
        return total
    }

    // MARK: - Internals

    /// The open interval containing `instant`, if any.
    func interval(containing instant: Date, lookup: inout HolidayLookup) -> OpenInterval? {
        openIntervals(on: localDay(of: instant), lookup: &lookup)
            .first { $0.start <= instant && instant < $0.end }
    }

    /// The first open interval that ends after `instant` (it contains `instant` or starts after it), looking
    /// at most `searchDays` local days ahead.
    func nextInterval(atOrAfter instant: Date, lookup: inout HolidayLookup) -> OpenInterval? {
        let first = localDay(of: instant)
        for offset in 0...Self.searchDays {
            if let found = openIntervals(on: first.adding(days: offset), lookup: &lookup)
                .first(where: { instant < $0.end }) {
                return found
            }
        }
        return nil
    }
}
