import CLibWebSockets
import Foundation
import Logging

/// The WebSocket + HTTP server: the only code in the project that touches libwebsockets.
///
/// Threading contract:
/// - ``start()`` and ``run()`` are called once each, on one dedicated `Thread` (the *service thread*).
/// - Methods marked "service thread only" must be called on that thread, normally from inside a
///   ``TransportDelegate`` callback or after ``wake()`` delivered ``TransportDelegate/transportDidWake(_:)``.
/// - ``wake()`` and ``requestStop(closeCode:)`` may be called from any thread.
///
/// `@unchecked Sendable` because threads other than the service thread must be able to hold the server to call
/// ``wake()`` / ``requestStop(closeCode:)``. Those two only touch `crossThreadLock`-guarded state; everything else
/// is confined to the service thread by contract (checked by assertions in debug builds), not by the compiler.
public final class WebSocketServer: @unchecked Sendable {
    /// Receives all events, on the service thread. Set it before ``run()``.
    public weak var delegate: TransportDelegate?

    let config: TransportConfig
    let logger: Logger

    // MARK: Any-thread state, guarded by crossThreadLock.
    private let crossThreadLock = NSLock()
    /// The context as seen by other threads; nil before start and once teardown begins.
    private var contextForOtherThreads: OpaquePointer?
    private var requestedStopCode: UInt16?

    // MARK: Service thread only.
    var context: OpaquePointer?
    private var memory: LWSContextMemory?
    var connections: [TransportConnectionID: WebSocketConnection] = [:]
    var exchanges: [UInt64: HTTPExchange] = [:]
    private var lastID: UInt64 = 0
    var isStopping = false
    private var stopDeadlinePassed = false
    var isTearingDown = false
    private var serviceThread: pthread_t?
    private let userTimer: UnsafeMutablePointer<chat_lws_timer>
    private let stopTimer: UnsafeMutablePointer<chat_lws_timer>

    static let userTimerKind: Int32 = 1
    static let stopTimerKind: Int32 = 2
    /// How long a graceful stop waits for WebSockets to finish their close handshake.
    static let stopGraceMicroseconds: lws_usec_t = 2_000_000
    /// A closing connection that cannot flush (peer not reading) is dropped after this many seconds.
    static let closeGraceSeconds: Int32 = 5

    /// Any thread. Allocates nothing in lws yet: ``start()`` creates the context on the service thread.
    public init(config: TransportConfig, logger: Logger) {
        self.config = config
        self.logger = logger
        userTimer = .allocate(capacity: 1)
        stopTimer = .allocate(capacity: 1)
        memset(userTimer, 0, MemoryLayout<chat_lws_timer>.stride)
        memset(stopTimer, 0, MemoryLayout<chat_lws_timer>.stride)
        userTimer.pointee.kind = Self.userTimerKind
        stopTimer.pointee.kind = Self.stopTimerKind
        let me = Unmanaged.passUnretained(self).toOpaque()
        userTimer.pointee.owner = me
        stopTimer.pointee.owner = me
    }

    deinit {
        if let ctx = context {
            // start() without run(): nothing else can be servicing this context.
            isTearingDown = true
            lws_context_destroy(ctx)
        }
        userTimer.deallocate()
        stopTimer.deallocate()
    }

    /// Creates the lws context and the listening socket; returns the bound port (the real one when the configured
    /// port is 0). Call it on the thread that will then call ``run()``.
    public func start() throws -> Int {
        precondition(context == nil, "start() called twice")
        serviceThread = pthread_self()
        lws_set_log_level(LLL_ERR | LLL_WARN, nil)

        var bindConfig = config
        if bindConfig.host == "localhost" { bindConfig.host = "127.0.0.1" }  // lws takes addresses, not names
        let memory = LWSContextMemory(config: bindConfig)
        var info = lws_context_creation_info()
        info.port = Int32(config.port)
        info.iface = UnsafePointer(memory.host)
        info.protocols = UnsafePointer(memory.protocols)
        info.mounts = UnsafePointer(memory.firstMount)
        info.user = Unmanaged.passUnretained(self).toOpaque()
        info.gid = -1
        info.uid = -1
        // Invalid UTF-8 in a text message closes the connection (1007) inside lws, before the delegate sees it.
        info.options = UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8)
        // With IPv6 enabled lws binds an AF_INET6 socket and silently ignores an IPv4 literal in `iface`
        // (measured: "127.0.0.1" listened on *:port). An IPv4 host therefore gets an IPv4-only socket.
        if bindConfig.host.contains(".") && !bindConfig.host.contains(":") {
            info.options |= UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)
        }

        guard let ctx = lws_create_context(&info) else {
            throw TransportError.startFailed("lws_create_context failed for \(config.host):\(config.port)")
        }
        guard let vhost = lws_get_vhost_by_name(ctx, "default") else {
            lws_context_destroy(ctx)
            throw TransportError.startFailed("lws created no default vhost")
        }
        let port = Int(lws_get_vhost_listen_port(vhost))
        guard port > 0 else {
            lws_context_destroy(ctx)
            throw TransportError.startFailed("could not listen on \(config.host):\(config.port)")
        }
        self.memory = memory
        context = ctx
        crossThreadLock.withLock { contextForOtherThreads = ctx }
        logger.info("transport listening", metadata: [
            "transport.host": "\(config.host)", "transport.port": "\(port)",
            "transport.static_root": "\(config.staticRoot ?? "-")",
        ])
        return port
    }

    /// The service loop. Blocks the calling thread (a dedicated `Thread`, the one that called ``start()``) until a
    /// stop requested with ``requestStop(closeCode:)`` completes, then destroys the lws context and returns.
    public func run() {
        guard let ctx = context else { return }
        assertServiceThread()
        takeStopRequestIfAny()
        while !(isStopping && (connections.isEmpty || stopDeadlinePassed)) {
            if lws_service(ctx, 0) < 0 { break }
        }
        teardown(ctx)
    }

    private func teardown(_ ctx: OpaquePointer) {
        crossThreadLock.withLock { contextForOtherThreads = nil }
        isTearingDown = true
        let leftover = connections.count
        lws_context_destroy(ctx)  // remaining connections get LWS_CALLBACK_CLOSED -> didClose
        context = nil
        memory = nil
        connections.removeAll()
        exchanges.removeAll()
        logger.info("transport stopped", metadata: ["transport.forced_closes": "\(leftover)"])
    }

    // MARK: Any thread

    /// Any thread. Makes the service thread call ``TransportDelegate/transportDidWake(_:)`` soon
    /// (`lws_cancel_service`). Several wakes may be coalesced into one call. Does nothing before ``start()`` or
    /// after ``run()`` returned.
    public func wake() {
        crossThreadLock.withLock {
            if let ctx = contextForOtherThreads { lws_cancel_service(ctx) }
        }
    }

    /// Any thread (including a signal-handling thread; not an async signal handler itself). Graceful stop: new
    /// connections are refused, every WebSocket gets its already-queued frames and then a close frame with
    /// `closeCode` and reason "going away"; ``run()`` returns once all are gone or after about 2 seconds.
    public func requestStop(closeCode: UInt16 = 1001) {
        crossThreadLock.withLock {
            if requestedStopCode == nil { requestedStopCode = closeCode }
            if let ctx = contextForOtherThreads { lws_cancel_service(ctx) }
        }
    }

    // MARK: Service thread only

    /// Service thread only. Number of open WebSocket connections (including ones closing).
    public var connectionCount: Int { connections.count }

    /// Service thread only. Queues one text message for `c`; messages are written in order, as frames of their own,
    /// several per writeable callback while the socket accepts them. The bytes are copied once, into a buffer with
    /// `LWS_PRE` headroom, so `lws_write` needs no further copy. Over the queue cap: `.closedSlowConsumer`.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to c: TransportConnectionID) -> SendResult {
        assertServiceThread()
        guard !isTearingDown, let conn = connections[c], !conn.isClosing else { return .unknownConnection }
        if conn.outgoing.byteCount + bytes.count > config.maxQueuedBytesPerConnection {
            logger.warning("closing slow consumer", metadata: [
                "ws.connection": "\(c)", "ws.queued_bytes": "\(conn.outgoing.byteCount)",
                "ws.queued_frames": "\(conn.outgoing.count)",
            ])
            conn.outgoing.drop()
            beginClose(conn, code: 1008, reason: "slow_consumer")
            return .closedSlowConsumer
        }
        let wasIdle = conn.outgoing.isEmpty
        conn.outgoing.push(OutgoingFrame(copying: bytes))
        if wasIdle { lws_callback_on_writable(conn.wsi) }
        return .queued
    }

    /// Service thread only. Same as ``send(_:to:)-(UnsafeRawBufferPointer,_)`` for an array.
    @discardableResult
    public func send(_ bytes: [UInt8], to c: TransportConnectionID) -> SendResult {
        bytes.withUnsafeBytes { send($0, to: c) }
    }

    /// Service thread only. Closes `c` after the frames already queued for it are written: then a close frame with
    /// `code` and `reason` (truncated to 123 bytes). Later sends return `.unknownConnection`; ``TransportDelegate``
    /// gets `didClose` when the connection is gone. A peer that stops reading is dropped after a few seconds.
    public func close(_ c: TransportConnectionID, code: UInt16, reason: String) {
        assertServiceThread()
        guard !isTearingDown, let conn = connections[c], !conn.isClosing else { return }
        beginClose(conn, code: code, reason: reason)
    }

    /// Service thread only. Answers a request delivered earlier by ``TransportDelegate/transport(_:didReceive:)``,
    /// now or in a later turn. Ignored if that HTTP connection has gone or the request was already answered.
    public func respond(to requestID: UInt64, with response: HTTPResponse) {
        assertServiceThread()
        guard !isTearingDown, let exchange = exchanges[requestID], exchange.response == nil else { return }
        exchange.response = response
        lws_callback_on_writable(exchange.wsi)
    }

    /// Service thread only. One-shot timer: ``TransportDelegate/transportTimerFired(_:)`` after `seconds`.
    /// Replaces any timer scheduled before. Negative values count as 0.
    public func scheduleTimer(after seconds: Double) {
        assertServiceThread()
        guard let ctx = context, !isTearingDown else { return }
        let usec = lws_usec_t(max(0, seconds) * 1_000_000)
        lws_sul_schedule(ctx, 0, chat_lws_timer_sul(userTimer), chatTransportTimerFired, usec)
    }

    /// Service thread only. Cancels the timer set with ``scheduleTimer(after:)``, if any.
    public func cancelTimer() {
        assertServiceThread()
        guard let ctx = context else { return }
        lws_sul_schedule(ctx, 0, chat_lws_timer_sul(userTimer), nil, chat_lws_timer_cancel_value())
    }

    // MARK: Internals (service thread)

    func nextID() -> UInt64 {
        lastID += 1
        return lastID
    }

    func beginClose(_ conn: WebSocketConnection, code: UInt16, reason: String) {
        conn.pendingClose = (code, reason)
        lws_set_timeout(conn.wsi, PENDING_TIMEOUT_USER_OK, Self.closeGraceSeconds)
        if conn.outgoing.isEmpty { lws_callback_on_writable(conn.wsi) }
    }

    /// Called for LWS_CALLBACK_EVENT_WAIT_CANCELLED: other threads' wakes and stop requests.
    func serviceWasWoken() {
        takeStopRequestIfAny()
        if !isTearingDown { delegate?.transportDidWake(self) }
    }

    private func takeStopRequestIfAny() {
        guard !isStopping, let code = crossThreadLock.withLock({ requestedStopCode }) else { return }
        beginStop(code: code)
    }

    private func beginStop(code: UInt16) {
        guard let ctx = context else { return }
        isStopping = true
        logger.info("transport stopping", metadata: ["transport.open_connections": "\(connections.count)"])
        cancelTimer()
        for conn in connections.values where !conn.isClosing {
            beginClose(conn, code: code, reason: "going away")
        }
        lws_sul_schedule(ctx, 0, chat_lws_timer_sul(stopTimer), chatTransportTimerFired, Self.stopGraceMicroseconds)
    }

    func timerFired(kind: Int32) {
        if kind == Self.stopTimerKind {
            stopDeadlinePassed = true
        } else if !isTearingDown {
            delegate?.transportTimerFired(self)
        }
    }

    @inline(__always)
    func assertServiceThread() {
        assert(serviceThread.map { pthread_equal($0, pthread_self()) != 0 } ?? true,
               "WebSocketServer: service-thread-only API called from another thread")
    }
}

/// The C callback of every scheduler entry the server owns.
func chatTransportTimerFired(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul, let timer = chat_lws_timer_from_sul(sul), let owner = timer.pointee.owner else { return }
    let server = Unmanaged<WebSocketServer>.fromOpaque(owner).takeUnretainedValue()
    server.timerFired(kind: timer.pointee.kind)
}
