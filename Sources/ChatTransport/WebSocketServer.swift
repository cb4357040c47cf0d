import CFrameGuard
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
    /// Scratch space for writing several queued messages in one `lws_write` (see `GatheredFrames`).
    let gatheredFrames = GatheredFrames()
    /// Connections whose queue went from empty to not empty during the current callback: written at its end
    /// (`flushQueuedWrites`).
    var connectionsToFlush: [WebSocketConnection] = []
    var isFlushingWrites = false
    /// Open WebSockets per source address (admitted ones only); an address is removed when its count drops to 0,
    /// so the table is bounded by the number of open connections.
    var openPerAddress: [String: Int] = [:]
    /// Whether CFrameGuard sees lws's socket reads (checked at start).
    var frameGuardActive = false
    /// The static folder, resolved at start; nil when none is served.
    var staticFiles: StaticFileResolver?
    private var lastID: UInt64 = 0
    var isStopping = false
    private var stopDeadlinePassed = false
    var isTearingDown = false
    private var serviceThread: pthread_t?
    private let userTimer: UnsafeMutablePointer<chat_lws_timer>
    private let stopTimer: UnsafeMutablePointer<chat_lws_timer>
    private let stopCheckTimer: UnsafeMutablePointer<chat_lws_timer>
    private let housekeepingTimer: UnsafeMutablePointer<chat_lws_timer>
    private let memoryTrimTimer: UnsafeMutablePointer<chat_lws_timer>
    private let idleSweepTimer: UnsafeMutablePointer<chat_lws_timer>
    /// A sul that re-arms itself every second while running on libev (see `WebSocketServer+LWSHeartbeat.swift`).
    let lwsHeartbeat: UnsafeMutablePointer<chat_lws_timer>
    /// WebSockets closed since the last memory trim, whether a trim is armed, and when the last one ran
    /// (monotonic seconds). Service thread only.
    var closedSinceTrim = 0
    var memoryTrimArmed = false
    /// Whether the idle sweep timer is armed (it re-arms itself while connections are open). Service thread only.
    var idleSweepArmed = false
    var lastMemoryTrim: Double = -Double.infinity
    /// libev entry points (loaded at run time) and the loop lws runs on; nil loop with poll.
    private let evAPI: UnsafeMutablePointer<chat_ev_api>
    private var evLoop: UnsafeMutableRawPointer?
    /// `info.foreign_loops`: one slot, for the service thread's loop.
    private let foreignLoops: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    /// The timers (user, stop deadline, stop check, housekeeping, memory trim; index = kind - 1) when running on libev.
    private let evTimers: UnsafeMutablePointer<chat_ev_timer>
    /// With libev: the stop condition held and `ev_break` was called, so ``run()``'s loop ends.
    private var loopEndRequested = false
    /// The event loop actually in use (after a possible fallback). Set by ``start()``.
    public private(set) var activeEventLoop: TransportEventLoop = .poll

    static let userTimerKind: Int32 = 1
    static let stopTimerKind: Int32 = 2
    static let stopCheckTimerKind: Int32 = 3
    static let housekeepingTimerKind: Int32 = 4
    static let memoryTrimTimerKind: Int32 = 5
    static let idleSweepTimerKind: Int32 = 6
    static let timerKindCount = 6
    /// Not one of the libev timers: always an lws sul.
    static let lwsHeartbeatKind: Int32 = 100
    /// While stopping, the stop condition is re-checked at least this often (and as soon as a connection closes).
    static let stopCheckIntervalMicroseconds: lws_usec_t = 50_000
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
        stopCheckTimer = .allocate(capacity: 1)
        housekeepingTimer = .allocate(capacity: 1)
        memoryTrimTimer = .allocate(capacity: 1)
        idleSweepTimer = .allocate(capacity: 1)
        lwsHeartbeat = .allocate(capacity: 1)
        evAPI = .allocate(capacity: 1)
        memset(evAPI, 0, MemoryLayout<chat_ev_api>.stride)
        foreignLoops = .allocate(capacity: 1)
        foreignLoops.initialize(to: nil)
        evTimers = .allocate(capacity: Self.timerKindCount)
        let me = Unmanaged.passUnretained(self).toOpaque()
        for kind in [Self.userTimerKind, Self.stopTimerKind, Self.stopCheckTimerKind, Self.housekeepingTimerKind,
                     Self.memoryTrimTimerKind, Self.idleSweepTimerKind] {
            chat_ev_timer_init(evTimers + Int(kind - 1), chatTransportEvTimerFired, me, kind)
        }
        for (timer, kind) in [(userTimer, Self.userTimerKind), (stopTimer, Self.stopTimerKind),
                              (stopCheckTimer, Self.stopCheckTimerKind), (housekeepingTimer, Self.housekeepingTimerKind),
                              (memoryTrimTimer, Self.memoryTrimTimerKind), (idleSweepTimer, Self.idleSweepTimerKind),
                              (lwsHeartbeat, Self.lwsHeartbeatKind)] {
            memset(timer, 0, MemoryLayout<chat_lws_timer>.stride)
            timer.pointee.kind = kind
            timer.pointee.owner = me
        }
    }

    deinit {
        if let ctx = context {
            // start() without run(): nothing else can be servicing this context.
            isTearingDown = true
            lws_context_destroy(ctx)
        }
        destroyEventLoop()
        userTimer.deallocate()
        stopTimer.deallocate()
        stopCheckTimer.deallocate()
        housekeepingTimer.deallocate()
        memoryTrimTimer.deallocate()
        idleSweepTimer.deallocate()
        lwsHeartbeat.deallocate()
        evAPI.deallocate()
        foreignLoops.deallocate()
        evTimers.deallocate()
    }

    /// With libev the transport owns the loop (an lws "foreign loop"): lws never breaks or frees it, so
    /// ``run()`` ends it with `ev_break` and frees it here, after `lws_context_destroy`.
    private func destroyEventLoop() {
        if let loop = evLoop {
            for i in 0..<Self.timerKindCount { chat_ev_timer_stop(evAPI, loop, evTimers + i) }
            chat_ev_loop_destroy(evAPI, loop)
        }
        evLoop = nil
        foreignLoops.pointee = nil
    }

    /// Loads libev and creates a loop for lws, or explains why not (the caller falls back to poll).
    private func makeEventLoop() -> String? {
        // lws needs its libev plugin to drive a libev loop; probe it the way lws will load it.
        guard let plugin = dlopen(config.eventLibPluginName, RTLD_NOW | RTLD_LOCAL) else {
            return "lws libev plugin \(config.eventLibPluginName) not loadable (install libwebsockets-evlib-ev): "
                + (dlerror().map { String(cString: $0) } ?? "-")
        }
        dlclose(plugin)
        let status = chat_ev_load(evAPI, config.libevLibraryName)
        guard status == 0 else { return "\(config.libevLibraryName) not loadable (status \(status))" }
        guard let loop = chat_ev_loop_new(evAPI) else { return "ev_loop_new failed" }
        evLoop = loop
        foreignLoops.pointee = loop
        return nil
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
        info.user = Unmanaged.passUnretained(self).toOpaque()
        info.gid = -1
        info.uid = -1
        if config.handshakeTimeoutSeconds > 0 {
            // Measured: a connection that sends no request (or half of one) is dropped after timeout_secs_ah_idle.
            info.timeout_secs = UInt32(config.handshakeTimeoutSeconds)
            info.timeout_secs_ah_idle = UInt32(config.handshakeTimeoutSeconds)
        }
        // Invalid UTF-8 in a text message closes the connection (1007) inside lws, before the delegate sees it.
        info.options = UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8)
        // With IPv6 enabled lws binds an AF_INET6 socket and silently ignores an IPv4 literal in `iface`
        // (measured: "127.0.0.1" listened on *:port). An IPv4 host therefore gets an IPv4-only socket.
        if bindConfig.host.contains(".") && !bindConfig.host.contains(":") {
            info.options |= UInt64(LWS_SERVER_OPTION_DISABLE_IPV6)
        }

        if let certificate = memory.tlsCertificate, let key = memory.tlsPrivateKey {
            // HTTPS and WSS only, on the same port (OpenSSL inside lws); plain requests fail the handshake.
            info.options |= UInt64(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT)
            info.ssl_cert_filepath = UnsafePointer(certificate)
            info.ssl_private_key_filepath = UnsafePointer(key)
        }

        var eventLoop = config.eventLoop
        if eventLoop == .libev, let why = makeEventLoop() {
            logger.warning("libev event loop unavailable; falling back to poll", metadata: ["transport.reason": "\(why)"])
            eventLoop = .poll
        }
        var created = createContext(&info, eventLoop: eventLoop)
        if created == nil && eventLoop != .poll {
            // lws could not bring the libev loop up (or the port is busy): try poll once.
            destroyEventLoop()
            created = createContext(&info, eventLoop: .poll)
            if created != nil {
                logger.warning("lws could not start on the libev event loop; falling back to poll")
            }
            eventLoop = .poll
        }
        guard let ctx = created else {
            throw TransportError.startFailed("lws_create_context failed for \(config.host):\(config.port)")
        }
        guard let vhost = lws_get_vhost_by_name(ctx, "default") else {
            lws_context_destroy(ctx)
            destroyEventLoop()
            throw TransportError.startFailed("lws created no default vhost")
        }
        let port = Int(lws_get_vhost_listen_port(vhost))
        guard port > 0 else {
            lws_context_destroy(ctx)
            destroyEventLoop()
            throw TransportError.startFailed("could not listen on \(config.host):\(config.port)")
        }
        self.memory = memory
        staticFiles = config.staticRoot.map(StaticFileResolver.init(root:))
        // Plain sockets are followed through recv, TLS ones through SSL_read (the bytes after decryption).
        frameGuardActive = (isTLS ? chat_frame_guard_tls_active() : chat_frame_guard_active()) != 0
        if !frameGuardActive {
            logger.warning("unmasked WebSocket frames cannot be refused: the frame guard does not see socket reads",
                           metadata: ["transport.tls": "\(isTLS)"])
        }
        activeEventLoop = eventLoop
        context = ctx
        crossThreadLock.withLock { contextForOtherThreads = ctx }
        startLWSHeartbeat()
        logger.info("transport listening", metadata: [
            "transport.host": "\(config.host)", "transport.port": "\(port)",
            "transport.static_root": "\(config.staticRoot ?? "-")",
            "transport.event_loop": "\(eventLoop.rawValue)",
            "transport.ev_backend": "\(evLoop.map { chat_ev_backend_is_epoll(evAPI, $0) != 0 ? "epoll" : "other" } ?? "-")",
        ])
        return port
    }

    private func createContext(_ info: inout lws_context_creation_info,
                               eventLoop: TransportEventLoop) -> OpaquePointer? {
        var attempt = info
        if eventLoop == .libev {
            attempt.options |= UInt64(LWS_SERVER_OPTION_LIBEV)
            attempt.foreign_loops = foreignLoops
        }
        return lws_create_context(&attempt)
    }

    /// The service loop. Blocks the calling thread (a dedicated `Thread`, the one that called ``start()``) until a
    /// stop requested with ``requestStop(closeCode:)`` completes, then destroys the lws context and returns.
    public func run() {
        guard let ctx = context else { return }
        assertServiceThread()
        takeStopRequestIfAny()
        if activeEventLoop == .poll {
            // lws_service returns after every poll() wake-up: the stop condition is checked here.
            while !stopConditionMet {
                if lws_service(ctx, 0) < 0 { break }
            }
            teardown(ctx)
            return
        }
        // With libev lws_service runs the loop (ev_run) until checkStop() calls ev_break once the stop condition
        // holds; the context is then destroyed outside the loop, as with poll, and the loop freed after it.
        while !loopEndRequested {
            if lws_service(ctx, 0) < 0 { break }
        }
        teardown(ctx)
        destroyEventLoop()
    }

    private var stopConditionMet: Bool { isStopping && (connections.isEmpty || stopDeadlinePassed) }

    /// Service thread, while stopping: called by the stop-check timer (periodic, and at once when a connection
    /// closes) and by the stop deadline. Ends an event-library loop once the stop condition holds.
    private func checkStop() {
        guard isStopping, !loopEndRequested, !isTearingDown, let ctx = context else { return }
        guard stopConditionMet else {
            armTimer(Self.stopCheckTimerKind, ctx, afterMicroseconds: Self.stopCheckIntervalMicroseconds)
            return
        }
        loopEndRequested = true
        // poll: run()'s loop sees the condition after this service turn. libev: make lws_service return.
        if let loop = evLoop { chat_ev_break_all(evAPI, loop) }
    }

    /// A WebSocket closed while stopping: the stop condition may hold now.
    func connectionClosedWhileStopping() {
        guard isStopping, !isTearingDown, !loopEndRequested, let ctx = context else { return }
        // Not from inside the CLOSED callback itself: check on the next loop turn.
        armTimer(Self.stopCheckTimerKind, ctx, afterMicroseconds: 0)
    }

    private func teardown(_ ctx: OpaquePointer) {
        crossThreadLock.withLock { contextForOtherThreads = nil }
        isTearingDown = true
        let leftover = connections.count
        lws_context_destroy(ctx)  // remaining connections get LWS_CALLBACK_CLOSED -> didClose
        chat_frame_guard_forget_context(UnsafeMutableRawPointer(ctx))
        context = nil
        memory = nil
        connections.removeAll()
        exchanges.removeAll()
        openPerAddress.removeAll()
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

    /// Service thread only. The source address of an open WebSocket, or nil.
    public func peerAddress(of c: TransportConnectionID) -> String? { connections[c]?.peerAddress }

    /// Service thread only. Queues one text message for `c`; messages are written in order, as frames of their own,
    /// several per writeable callback while the socket accepts them. The message's buffer is shared, not copied:
    /// send one `OutgoingMessage` to every connection that gets the same bytes. Over the queue cap (which counts
    /// each connection's queued payload bytes, shared or not): `.closedSlowConsumer`.
    @discardableResult
    public func send(_ message: OutgoingMessage, to c: TransportConnectionID) -> SendResult {
        assertServiceThread()
        guard !isTearingDown, let conn = connections[c], !conn.isClosing else { return .unknownConnection }
        if conn.outgoing.byteCount + message.count > config.maxQueuedBytesPerConnection {
            logger.warning("closing slow consumer", metadata: [
                "ws.connection": "\(c)", "ws.queued_bytes": "\(conn.outgoing.byteCount)",
                "ws.queued_frames": "\(conn.outgoing.count)",
            ])
            conn.outgoing.drop()
            beginClose(conn, code: 1008, reason: "slow_consumer")
            return .closedSlowConsumer
        }
        let wasIdle = conn.outgoing.isEmpty
        conn.outgoing.push(message)
        if wasIdle && !conn.awaitingFlush {
            conn.awaitingFlush = true
            connectionsToFlush.append(conn)
        }
        return .queued
    }

    /// Service thread only. Same as ``send(_:to:)-(OutgoingMessage,_)`` for bytes used once (copied into a message).
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to c: TransportConnectionID) -> SendResult {
        send(OutgoingMessage(copying: bytes), to: c)
    }

    /// Service thread only. Bytes waiting to be written to `c`, or nil when `c` is not an open WebSocket.
    public func queuedBytes(_ c: TransportConnectionID) -> Int? {
        assertServiceThread()
        guard let conn = connections[c], !conn.isClosing else { return nil }
        return conn.outgoing.byteCount
    }

    /// Service thread only. Flow control for long streams: ``TransportDelegate/transport(_:didDrain:)`` is called
    /// once, after a write leaves at most `lowWater` bytes queued for `c`. Replaces an earlier request for `c`.
    /// Returns false (and will not call) when `c` is not open. Call it when `queuedBytes(c)` is above `lowWater`.
    @discardableResult
    public func notifyWhenDrained(_ c: TransportConnectionID, lowWater: Int) -> Bool {
        assertServiceThread()
        guard let conn = connections[c], !conn.isClosing else { return false }
        conn.drainWatch = max(0, lowWater)
        if conn.outgoing.isEmpty { lws_callback_on_writable(conn.wsi) }
        return true
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
        guard !isTearingDown, let exchange = exchanges[requestID], exchange.response == nil,
              exchange.stream == nil else { return }
        exchange.response = response
        // A streamed upload is answered once its body has ended (WebSocketServer+RequestStream.swift).
        if exchange.requestBody?.isComplete == false { return }
        lws_callback_on_writable(exchange.wsi)
    }

    /// Service thread only. One-shot timer: ``TransportDelegate/transportTimerFired(_:)`` after `seconds`.
    /// Replaces any timer scheduled before. Negative values count as 0.
    public func scheduleTimer(after seconds: Double) {
        assertServiceThread()
        guard let ctx = context, !isTearingDown else { return }
        armTimer(Self.userTimerKind, ctx, afterMicroseconds: lws_usec_t(max(0, seconds) * 1_000_000))
    }

    /// Service thread only. A second one-shot timer, independent of ``scheduleTimer(after:)``, for the
    /// application's housekeeping (deadlines kept in real time): ``TransportDelegate/transportHousekeepingDue(_:)``
    /// after `seconds`. Replaces any housekeeping timer scheduled before. Negative values count as 0.
    public func scheduleHousekeeping(after seconds: Double) {
        assertServiceThread()
        guard let ctx = context, !isTearingDown, !isStopping else { return }
        armTimer(Self.housekeepingTimerKind, ctx, afterMicroseconds: lws_usec_t(max(0, seconds) * 1_000_000))
    }

    /// Service thread only. Cancels the timer set with ``scheduleTimer(after:)``, if any.
    public func cancelTimer() {
        assertServiceThread()
        guard let ctx = context else { return }
        disarmTimer(Self.userTimerKind, ctx)
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
        closeConnectionsWithUnmaskedFrames()
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
        disarmTimer(Self.housekeepingTimerKind, ctx)
        disarmTimer(Self.memoryTrimTimerKind, ctx)
        disarmTimer(Self.idleSweepTimerKind, ctx)
        for conn in connections.values where !conn.isClosing {
            beginClose(conn, code: code, reason: "going away")
        }
        armTimer(Self.stopTimerKind, ctx, afterMicroseconds: Self.stopGraceMicroseconds)
        armTimer(Self.stopCheckTimerKind, ctx, afterMicroseconds: 0)
    }

    /// One-shot timer `kind`, replacing any earlier arming: an lws sul with poll, a libev timer of our own with libev
    /// (see `chat_ev_timer` in shim.h for why not a sul there).
    func armTimer(_ kind: Int32, _ ctx: OpaquePointer, afterMicroseconds usec: lws_usec_t) {
        if let loop = evLoop {
            chat_ev_timer_arm(evAPI, loop, evTimers + Int(kind - 1), Double(usec) / 1_000_000)
        } else {
            lws_sul_schedule(ctx, 0, chat_lws_timer_sul(sulTimer(kind)), chatTransportTimerFired, usec)
        }
    }

    private func disarmTimer(_ kind: Int32, _ ctx: OpaquePointer) {
        if let loop = evLoop {
            chat_ev_timer_stop(evAPI, loop, evTimers + Int(kind - 1))
        } else {
            lws_sul_schedule(ctx, 0, chat_lws_timer_sul(sulTimer(kind)), nil, chat_lws_timer_cancel_value())
        }
    }

    private func sulTimer(_ kind: Int32) -> UnsafeMutablePointer<chat_lws_timer> {
        switch kind {
        case Self.userTimerKind: return userTimer
        case Self.stopTimerKind: return stopTimer
        case Self.housekeepingTimerKind: return housekeepingTimer
        case Self.memoryTrimTimerKind: return memoryTrimTimer
        case Self.idleSweepTimerKind: return idleSweepTimer
        default: return stopCheckTimer
        }
    }

    func timerFired(kind: Int32) {
        if kind == Self.lwsHeartbeatKind {
            lwsHeartbeatFired()
        } else if kind == Self.stopTimerKind {
            stopDeadlinePassed = true
            checkStop()
        } else if kind == Self.stopCheckTimerKind {
            checkStop()
        } else if kind == Self.housekeepingTimerKind {
            if !isTearingDown && !isStopping { delegate?.transportHousekeepingDue(self) }
        } else if kind == Self.memoryTrimTimerKind {
            if !isTearingDown && !isStopping { trimMemory() }
        } else if kind == Self.idleSweepTimerKind {
            idleSweepArmed = false
            if !isTearingDown && !isStopping { sweepIdleConnections() }
        } else if !isTearingDown {
            delegate?.transportTimerFired(self)
        }
        if !connectionsToFlush.isEmpty { flushQueuedWrites() }
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

/// The C callback of the server's own libev timers (libev mode only).
func chatTransportEvTimerFired(_ timer: UnsafeMutablePointer<chat_ev_timer>?) {
    guard let timer, let owner = timer.pointee.owner else { return }
    let server = Unmanaged<WebSocketServer>.fromOpaque(owner).takeUnretainedValue()
    server.timerFired(kind: timer.pointee.kind)
}
