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

    func recordCommit(_ receipt: CommitReceipt) {
        commits += 1
        committedWrites += receipt.batchSize
        largestBatch = max(largestBatch, receipt.batchSize)
        commitSeconds += receipt.duration
    }

    func recordFrame() { framesIn += 1 }
    func recordRefusal() { refusals += 1 }
    func recordLoginThrottled() { loginsThrottled += 1 }
    func recordLoginBusy() { loginsRefusedBusy += 1 }
    func recordHelloTimeout() { helloTimeouts += 1 }
    func recordRevocation() { revocationsApplied += 1 }

    var meanBatch: Double { commits == 0 ? 0 : Double(committedWrites) / Double(commits) }
    var meanCommitMillis: Double { commits == 0 ? 0 : commitSeconds * 1000 / Double(commits) }
}
