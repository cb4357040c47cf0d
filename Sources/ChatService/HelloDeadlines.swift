import ChatCore
import Foundation

/// When each new WebSocket must have sent `hello`. Every connection gets the same allowance, so deadlines arrive
/// in opening order and a FIFO suffices: O(1) to add, O(expired) to collect.
///
/// Entries are not removed when a connection says hello or closes; the caller checks, for each expired id,
/// whether that connection still owes a hello. The FIFO therefore holds at most the connections opened within one
/// allowance. A plain value with time passed in (injected clock); mutate it from one thread (the service thread).
struct HelloDeadlines {
    private var entries: [(deadline: Date, connection: ConnectionID)] = []
    private var head = 0

    /// Connections waiting for their deadline (including ones that have since said hello or closed).
    var count: Int { entries.count - head }

    /// The earliest deadline still pending, if any.
    var nextDeadline: Date? { head < entries.count ? entries[head].deadline : nil }

    /// Adds `connection`, due at `deadline` (not earlier than any deadline added before).
    mutating func add(_ connection: ConnectionID, deadline: Date) {
        entries.append((deadline, connection))
    }

    /// Removes and returns every connection whose deadline is at or before `now`, in order.
    mutating func expired(now: Date) -> [ConnectionID] {
        var due: [ConnectionID] = []
        while head < entries.count, entries[head].deadline <= now {
            due.append(entries[head].connection)
            head += 1
        }
        if head > 1024 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return due
    }
}
