import ChatTransport
import Foundation
import Logging

/// What the delegate saw, in order.
enum TransportEvent: Equatable {
    case open(TransportConnectionID, String)
    case text(TransportConnectionID, String)
    case binary(TransportConnectionID)
    case close(TransportConnectionID)
    case request(UInt64, HTTPMethod, String)
    case wake
    case timer
    case abandoned(UInt64)
    case housekeeping
}

/// Records every delegate call and runs optional hooks, all on the service thread. Tests read the record from their
/// own thread under `condition` and block in ``waitFor(_:)`` until a predicate holds (bounded, so a broken server
/// fails the test rather than hanging it; the bound is not a timing assertion).
///
/// `@unchecked Sendable`: the event list is guarded by `condition`; hooks are set before the server runs.
final class RecordingDelegate: TransportDelegate, @unchecked Sendable {
    private let condition = NSCondition()
    private var log: [TransportEvent] = []
    private var requestsByID: [UInt64: HTTPRequest] = [:]

    var onOpen: ((WebSocketServer, TransportConnectionID) -> Void)?
    var onText: ((WebSocketServer, TransportConnectionID, [UInt8]) -> Void)?
    var onRequest: ((WebSocketServer, HTTPRequest) -> Void)?
    var onWake: ((WebSocketServer) -> Void)?
    var onTimer: ((WebSocketServer) -> Void)?
    var onStreamDrain: ((WebSocketServer, UInt64) -> Void)?
    /// Streamed request bodies (HTTPUploadStreamTests): the limit for a request head (nil: buffer as usual).
    var onBodyLimit: ((HTTPRequest) -> Int?)?
    var onBodyChunk: ((WebSocketServer, UInt64, [UInt8]) -> Void)?
    var onBodyEnd: ((WebSocketServer, UInt64, Bool) -> Void)?

    var events: [TransportEvent] { condition.withLock { log } }

    func request(_ id: UInt64) -> HTTPRequest? { condition.withLock { requestsByID[id] } }

    private func record(_ event: TransportEvent) {
        condition.withLock {
            log.append(event)
            condition.broadcast()
        }
    }

    /// Blocks until `predicate(events)` is true; false if that did not happen within `timeout`.
    @discardableResult
    func waitFor(timeout: TimeInterval = 10, _ predicate: ([TransportEvent]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(log) {
            if !condition.wait(until: deadline) { return predicate(log) }
        }
        return true
    }

    func transport(_ t: WebSocketServer, didOpen c: TransportConnectionID, path: String) {
        record(.open(c, path))
        onOpen?(t, c)
    }

    func transport(_ t: WebSocketServer, didReceiveText bytes: UnsafeRawBufferPointer, from c: TransportConnectionID) {
        let copy = Array(bytes)
        record(.text(c, String(decoding: copy, as: UTF8.self)))
        onText?(t, c, copy)
    }

    func transport(_ t: WebSocketServer, didReceiveBinaryFrom c: TransportConnectionID) { record(.binary(c)) }

    func transport(_ t: WebSocketServer, didClose c: TransportConnectionID) { record(.close(c)) }

    func transport(_ t: WebSocketServer, didReceive request: HTTPRequest) {
        condition.withLock { requestsByID[request.id] = request }
        record(.request(request.id, request.method, request.path))
        onRequest?(t, request)
    }

    func transportDidWake(_ t: WebSocketServer) {
        record(.wake)
        onWake?(t)
    }

    func transportTimerFired(_ t: WebSocketServer) {
        record(.timer)
        onTimer?(t)
    }

    func transport(_ t: WebSocketServer, didAbandon requestID: UInt64) { record(.abandoned(requestID)) }

    func transportHousekeepingDue(_ t: WebSocketServer) { record(.housekeeping) }

    func transport(_ t: WebSocketServer, streamDidDrain requestID: UInt64) { onStreamDrain?(t, requestID) }

    func transport(_ t: WebSocketServer, streamedBodyLimitFor request: HTTPRequest) -> Int? { onBodyLimit?(request) }
    func transport(_ t: WebSocketServer, didReceiveBodyChunk bytes: [UInt8], of requestID: UInt64) {
        onBodyChunk?(t, requestID, bytes)
    }
    func transport(_ t: WebSocketServer, didEndBodyOf requestID: UInt64, complete: Bool) { onBodyEnd?(t, requestID, complete) }
}

extension Array where Element == TransportEvent {
    var openedIDs: [TransportConnectionID] {
        compactMap { if case .open(let id, _) = $0 { return id } else { return nil } }
    }
    func count(of event: TransportEvent) -> Int { filter { $0 == event }.count }
    var requestIDs: [UInt64] {
        compactMap { if case .request(let id, _, _) = $0 { return id } else { return nil } }
    }
}

/// A server running on its own dedicated `Thread` (start() and run() both there, as the contract requires).
final class ServerHarness: @unchecked Sendable {
    let server: WebSocketServer
    let delegate: RecordingDelegate
    private(set) var port = 0
    /// The service thread, for tests that check where callbacks run.
    private(set) var serviceThread: pthread_t?
    private let started = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var startError: Error?
    private var stopped = false

    /// `pinnedEventLoop`: run on exactly the config's event loop, ignoring CHAT_TRANSPORT_EVENT_LOOP.
    init(config: TransportConfig = TransportConfig(), delegate: RecordingDelegate = RecordingDelegate(),
         pinnedEventLoop: Bool = false) throws {
        var logger = Logger(label: "test.transport")
        logger.logLevel = .warning
        var config = config
        // CHAT_TRANSPORT_EVENT_LOOP=poll|libev runs the whole suite on one backend (default: the config's own).
        if !pinnedEventLoop, let name = ProcessInfo.processInfo.environment["CHAT_TRANSPORT_EVENT_LOOP"],
           let loop = TransportEventLoop(rawValue: name) {
            config.eventLoop = loop
        }
        server = WebSocketServer(config: config, logger: logger)
        self.delegate = delegate
        server.delegate = delegate
        let thread = Thread { [self] in
            serviceThread = pthread_self()
            do {
                port = try server.start()
            } catch {
                startError = error
                started.signal()
                finished.signal()
                return
            }
            started.signal()
            server.run()
            finished.signal()
        }
        thread.name = "lws-service-test"
        thread.start()
        started.wait()
        if let startError { throw startError }
    }

    /// Requests a graceful stop and waits for run() to return; true if it did.
    @discardableResult
    func stop(timeout: TimeInterval = 10) -> Bool {
        if stopped { return true }
        server.requestStop()
        stopped = finished.wait(timeout: .now() + timeout) == .success
        return stopped
    }

    /// Waits for run() to return after someone else requested the stop.
    func waitUntilRunReturns(timeout: TimeInterval = 10) -> Bool {
        stopped = finished.wait(timeout: .now() + timeout) == .success
        return stopped
    }

    deinit {
        if !stopped {
            server.requestStop()
            _ = finished.wait(timeout: .now() + 10)
        }
    }
}
