import ChatCore
import Foundation

/// Counters for /healthz and the benchmark. Service thread only.
final class ServiceMetrics {
    private(set) var commits = 0
    private(set) var committedWrites = 0
    private(set) var largestBatch = 0
    private(set) var commitSeconds = 0.0
    private(set) var framesIn = 0
    private(set) var refusals = 0
    private(set) var loginsThrottled = 0
    private(set) var loginsRefusedBusy = 0
    private(set) var helloTimeouts = 0
    private(set) var revocationsApplied = 0
    private(set) var refusalsByCode: [String: Int] = [:]
    private(set) var framesSent = 0
    private(set) var eventsDelivered = 0
    private(set) var historyReads = 0
    private(set) var logins: [String: Int] = [:]
    private(set) var commitLatency = Histogram(bounds: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
    private(set) var batchSizes = Histogram(bounds: [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024])

    func recordCommit(_ receipt: CommitReceipt) {
        commits += 1
        committedWrites += receipt.batchSize
        largestBatch = max(largestBatch, receipt.batchSize)
        commitSeconds += receipt.duration
        commitLatency.observe(receipt.duration)
        batchSizes.observe(Double(receipt.batchSize))
    }

    /// A frame going out to `count` connections (an error frame counts as a refusal by its code).
    func recordSend(_ message: ServerMessage, count: Int) {
        framesSent += count
        switch message {
        case .event: eventsDelivered += count
        case .ack: eventsDelivered += count
        case let .error(error, _): refusalsByCode[error.code.rawValue, default: 0] += count
        default: break
        }
    }

    func recordRefusal(_ code: ChatErrorCode) {
        refusals += 1
        refusalsByCode[code.rawValue, default: 0] += 1
    }

    func recordHistoryRead() { historyReads += 1 }
    /// A login attempt's outcome: `accepted`, `rejected`, `throttled` or `busy`.
    func recordLogin(_ outcome: String) { logins[outcome, default: 0] += 1 }

    func recordFrame() { framesIn += 1 }
    func recordLoginThrottled() { loginsThrottled += 1; recordLogin("throttled") }
    func recordLoginBusy() { loginsRefusedBusy += 1; recordLogin("busy") }
    func recordHelloTimeout() { helloTimeouts += 1 }
    func recordRevocation() { revocationsApplied += 1 }

    var meanBatch: Double { commits == 0 ? 0 : Double(committedWrites) / Double(commits) }
    var meanCommitMillis: Double { commits == 0 ? 0 : commitSeconds * 1000 / Double(commits) }
}
