import Foundation
import XCTest
@testable import ChatCore

/// Model-based test of the engine: seeded random interleavings of every command, disconnects, reconnects,
/// resends with colliding client ids, transfers, clock jumps past budgets, grace periods, long waits and closing
/// time, partial commits, delayed and failed storage answers, and crashes that rebuild the engine from what
/// storage holds. `ModelWorld` checks the invariants after every step. A failure prints its seed and a shortened
/// step list that still fails.
///
/// `MODEL_SEEDS` (default 3000) and `MODEL_STEPS` (default 200) scale the run; `MODEL_SEED` runs one seed.
final class EngineModelTests: XCTestCase {
    func testInvariantsHoldUnderRandomInterleavings() {
        let environment = ProcessInfo.processInfo.environment
        let steps = Int(environment["MODEL_STEPS"] ?? "") ?? 200
        let seeds: [UInt64] = environment["MODEL_SEED"].flatMap(UInt64.init).map { [$0] }
            ?? (1...UInt64(Int(environment["MODEL_SEEDS"] ?? "") ?? 3000)).map { $0 &* 0x5851_F42D_4C95_7F2D }
        for seed in seeds {
            let list = ModelStep.generate(seed: seed, count: steps)
            guard let failure = ModelWorld().run(list) else { continue }
            let shortened = Self.shrink(Array(list.prefix(failure.index + 1)))
            if ProcessInfo.processInfo.environment["MODEL_TRACE"] != nil { print("=== trace of the shortened run") }
            let replay = ModelWorld().run(shortened)
            XCTFail("""
                seed \(seed) failed at step \(failure.index): \(failure.violation)
                shortened to \(shortened.count) steps (\(replay?.violation.description ?? "?")):
                \(shortened.enumerated().map { "  \($0.offset): \($0.element)" }.joined(separator: "\n"))
                rerun: MODEL_SEED=\(seed) swift test --filter EngineModelTests
                """)
            return
        }
    }

    /// The model can fail: an acknowledgement that confirms someone else's message is caught.
    func testTheModelCatchesAnAckForSomeoneElsesMessage() {
        let world = ModelWorld()
        let steps: [ModelStep] = [.connect(actor: 0), .connect(actor: 4), .requestChat(actor: 0, pick: 0),
                                  .answerIO(pick: 0, fail: false), .commit(count: 5)]
        XCTAssertNil(world.run(steps)?.violation.description)
        // Agent a1 (connection 2) is told that s1#1, the customer's request "r-0", is its own "r-0".
        world.apply([.send([2], .ack(clientID: "r-0", sessionID: 1, seq: 1, at: .distantPast))])
        XCTAssertTrue(world.violation?.description.contains("confirming 1's r-0") == true, "\(String(describing: world.violation))")
    }

    /// Greedy shrinking: drop chunks of steps while the run still fails.
    static func shrink(_ steps: [ModelStep]) -> [ModelStep] {
        var current = steps
        var chunk = max(1, current.count / 2)
        while chunk >= 1 {
            var start = 0
            var removed = false
            while start < current.count {
                var candidate = current
                candidate.removeSubrange(start..<min(current.count, start + chunk))
                if !candidate.isEmpty, ModelWorld().run(candidate) != nil {
                    current = candidate
                    removed = true
                } else {
                    start += chunk
                }
            }
            if !removed { chunk /= 2 }
        }
        return current
    }
}
