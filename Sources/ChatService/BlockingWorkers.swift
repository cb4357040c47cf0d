import Foundation

/// A few dedicated threads for blocking work that must stay off the service thread: database reads,
/// password hashing. Jobs run in FIFO order; the queue is bounded.
///
/// Threading: `submit` is safe from any thread and never blocks; jobs run on the workers' threads.
public final class BlockingWorkers: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private let capacity: Int
    private var threads: [Thread] = []

    public init(count: Int, capacity: Int, name: String = "chatd.worker") {
        self.capacity = capacity
        for index in 0..<max(1, count) {
            let thread = Thread { [unowned self] in self.loop() }
            thread.name = "\(name).\(index)"
            threads.append(thread)
        }
    }

    public func start() { threads.forEach { $0.start() } }

    /// Any thread. Returns false (and drops the job) when the queue is full or the pool is stopping.
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, jobs.count < capacity else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Any thread but a worker: lets queued jobs finish, then ends the threads.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        while threads.contains(where: { $0.isExecuting }) { usleep(1000) }
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
