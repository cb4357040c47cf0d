extension SupportCalendar {
    /// Parses "HH:mm" to minutes after midnight; "24:00" only when `allowMidnightEnd`.
    static func minutes(_ text: String, allowMidnightEnd: Bool) -> Int? {
        let chars = Array(text.utf8)
        guard chars.count == 5, chars[2] == UInt8(ascii: ":") else { return nil }
        let digits = [chars[0], chars[1], chars[3], chars[4]]
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        let values = digits.map { Int($0 - UInt8(ascii: "0")) }
        let hour = values[0] * 10 + values[1]
        let minute = values[2] * 10 + values[3]
        if hour == 24 && minute == 0 && allowMidnightEnd { return 1440 }
        guard hour < 24, minute < 60 else { return nil }
        return hour * 60 + minute
    }

    static func parseHours(_ hours: [WeeklyHours], label: String) throws(CalendarError) -> [[DailySpan]] {
        guard !hours.isEmpty else {
            throw CalendarError("\(label): no opening hours (at least one weekday must have hours)")
        }
        var byDay = [[DailySpan]](repeating: [], count: 8)
        for (index, entry) in hours.enumerated() {
            let place = "\(label) hours[\(index)]"
            guard (1...7).contains(entry.weekday) else {
                throw CalendarError("\(place): weekday must be 1 (Monday) to 7 (Sunday), found \(entry.weekday)")
            }
            guard let open = minutes(entry.open, allowMidnightEnd: false) else {
                throw CalendarError("\(place): open \"\(entry.open)\" is not a time \"HH:mm\" from 00:00 to 23:59")
            }
            guard let close = minutes(entry.close, allowMidnightEnd: true) else {
                throw CalendarError("\(place): close \"\(entry.close)\" is not a time \"HH:mm\" from 00:00 to 24:00")
            }
            guard close > open else {
                throw CalendarError("\(place): close \(entry.close) must be after open \(entry.open)")
            }
            byDay[entry.weekday].append(DailySpan(open: open, close: close))
        }
        for weekday in 1...7 {
            var merged: [DailySpan] = []
            for span in byDay[weekday].sorted(by: { $0.open < $1.open }) {
                if let last = merged.last, span.open <= last.close {
                    guard span.open == last.close else {
                        throw CalendarError("\(label): opening intervals overlap on weekday \(weekday)")
                    }
                    merged[merged.count - 1].close = span.close
                } else {
                    merged.append(span)
                }
            }
            byDay[weekday] = merged
        }
        return byDay
    }

    static func resolveHolidays(_ holidays: [HolidayRule], label: String)
        throws(CalendarError) -> (rules: [ResolvedHoliday], yearReach: Int)
    {
        var indexByName: [String: Int] = [:]
        for (index, rule) in holidays.enumerated() {
            guard !rule.name.isEmpty else {
                throw CalendarError("\(label) holidays[\(index)]: a holiday needs a name")
            }
            guard indexByName.updateValue(index, forKey: rule.name) == nil else {
                throw CalendarError("\(label): duplicate holiday name \"\(rule.name)\"")
            }
        }
        var resolved: [ResolvedHoliday] = []
        for (index, rule) in holidays.enumerated() {
            let place = "\(label) holiday \"\(rule.name)\""
            if let base = rule.relativeTo {
                guard rule.month == nil, rule.day == nil, rule.weekday == nil, rule.ordinal == nil else {
                    throw CalendarError("\(place): a relative rule takes only relativeTo and offsetDays")
                }
                guard let offset = rule.offsetDays else {
                    throw CalendarError("\(place): relativeTo \"\(base)\" needs offsetDays")
                }
                guard (-366...366).contains(offset) else {
                    throw CalendarError("\(place): offsetDays must be within -366...366, found \(offset)")
                }
                guard let baseIndex = indexByName[base] else {
                    throw CalendarError("\(place): relativeTo names no holiday of the region: \"\(base)\"")
                }
                guard baseIndex != index else {
                    throw CalendarError("\(place): a holiday cannot be relative to itself")
                }
                resolved.append(.relative(base: baseIndex, offsetDays: offset))
                continue
            }
            guard rule.offsetDays == nil else {
                throw CalendarError("\(place): offsetDays is only for rules with relativeTo")
            }
            guard let month = rule.month, (1...12).contains(month) else {
                throw CalendarError("\(place): month must be 1...12 (or use relativeTo), found \(rule.month.map(String.init) ?? "none")")
            }
            if let day = rule.day {
                guard rule.weekday == nil, rule.ordinal == nil else {
                    throw CalendarError("\(place): give either day (fixed date) or weekday and ordinal, not both")
                }
                guard day >= 1, day <= CivilDay.daysIn(month: month, year: 2000) else {
                    throw CalendarError("\(place): day \(day) does not exist in month \(month)")
                }
                resolved.append(.fixed(month: month, day: day))
            } else {
                guard let weekday = rule.weekday, let ordinal = rule.ordinal else {
                    throw CalendarError("\(place): needs day (fixed date) or weekday and ordinal (nth weekday)")
                }
                guard (1...7).contains(weekday) else {
                    throw CalendarError("\(place): weekday must be 1 (Monday) to 7 (Sunday), found \(weekday)")
                }
                guard (1...5).contains(ordinal) || ordinal == -1 else {
                    throw CalendarError("\(place): ordinal must be 1...5 or -1 (last), found \(ordinal)")
                }
                resolved.append(.nthWeekday(month: month, weekday: weekday, ordinal: ordinal))
            }
        }
        // Cycles, and each rule's total offset from its non-relative root (for how far years can shift).
        var totalOffset = [Int?](repeating: nil, count: resolved.count)
        for start in resolved.indices {
            var chain: [Int] = []
            var current = start
            while totalOffset[current] == nil, case let .relative(base, _) = resolved[current] {
                if chain.contains(current) {
                    let names = (chain.drop(while: { $0 != current }) + [current]).map { "\"\(holidays[$0].name)\"" }
                    throw CalendarError("\(label): holiday rules are relative to each other in a cycle: "
                        + names.joined(separator: " -> "))
                }
                chain.append(current)
                current = base
            }
            let rootOffset = totalOffset[current] ?? 0
            // Fill the chain from the root back so later lookups stop early.
            var running = rootOffset
            for link in chain.reversed() {
                if case let .relative(_, offset) = resolved[link] { running += offset }
                totalOffset[link] = running
            }
            if totalOffset[current] == nil { totalOffset[current] = 0 }
        }
        let maxShift = totalOffset.map { abs($0 ?? 0) }.max() ?? 0
        return (resolved, (maxShift + 364) / 365)
    }
}
