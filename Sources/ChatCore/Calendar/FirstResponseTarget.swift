import Foundation

/// First-response targets (SLA) measured in a region's business hours. Pure functions; safe from any thread.
public enum FirstResponseTarget: Sendable {
    /// Due instant for a ticket of this severity created (or chat started) at `start`, in the region's business
    /// hours: `severity.firstResponseBusinessHours` of business time added to `start` with
    /// `SupportCalendar.addingBusinessTime` (outside hours the clock starts at the next opening; a target ending
    /// exactly at closing time is due at that closing time). Pure; safe from any thread.
    public static func due(severity: SeverityLevel, from start: Date, calendar: SupportCalendar) -> Date {
        calendar.addingBusinessTime(severity.firstResponseBusinessHours * 3600, to: start)
    }

    /// Whether a first response at `respondedAt` met the target: at or before `due`. Pure; safe from any thread.
    public static func met(due: Date, respondedAt: Date) -> Bool {
        respondedAt <= due
    }
}
