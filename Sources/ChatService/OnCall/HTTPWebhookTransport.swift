import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 client over POSIX sockets, just enough to POST a webhook and read the status line.
///
/// Each `post` resolves the host (`getaddrinfo`), connects without blocking (non-blocking `connect` + `poll`),
/// sends one request with `Content-Length` and `Connection: close`, reads the status line and closes.
/// Connecting, sending and reading share one deadline of `timeout` seconds; name resolution is not covered by it
/// (use an IP literal or a name in /etc/hosts). Plain http only; no redirects, no TLS, no keep-alive.
/// URLSession is deliberately not used: FoundationNetworking is absent on minimal machines.
///
/// Threading: stateless, safe from any thread; `post` blocks its caller (the notifier's own thread).
public struct HTTPWebhookTransport: WebhookTransport {
    /// Longest status line + headers read before giving up on a malformed response.
    private static let maxResponseHead = 8192

    public init() {}

    public func post(url: String, headers: [String: String], body: [UInt8], timeout: Double) -> Result<Int, WebhookError> {
        let target: WebhookURL
        do {
            target = try WebhookURL(parsing: url)
        } catch {
            return .failure(error)
        }
        let request: [UInt8]
        switch Self.request(target: target, headers: headers, body: body) {
        case .success(let bytes): request = bytes
        case .failure(let error): return .failure(error)
        }
        let deadline = Deadline(seconds: timeout)
        let socket: Int32
        switch Self.connect(to: target, deadline: deadline) {
        case .success(let fd): socket = fd
        case .failure(let error): return .failure(error)
        }
        defer { close(socket) }
        let peer = target.hostHeader
        if let error = Self.send(request, on: socket, deadline: deadline, peer: peer) {
            return .failure(error)
        }
        return Self.readStatus(from: socket, deadline: deadline, peer: peer)
    }

    // MARK: - Request

    static func request(target: WebhookURL, headers: [String: String], body: [UInt8]) -> Result<[UInt8], WebhookError> {
        var head = "POST \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
        let reserved: Set<String> = ["host", "content-length", "connection", "transfer-encoding"]
        for name in headers.keys.sorted() {
            let value = headers[name]!
            let badName = name.isEmpty || name.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ":") || $0 >= 0x7f })
            let badValue = value.utf8.contains(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") || $0 == 0 })
            if badName || badValue { return .failure(.invalidHeader("header \(name.debugDescription) is not valid in HTTP/1.1")) }
            if reserved.contains(name.lowercased()) { continue }
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return .success(Array(head.utf8) + body)
    }

    // MARK: - Connect

    private static func connect(to target: WebhookURL, deadline: Deadline) -> Result<Int32, WebhookError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard rc == 0, let first = list else {
            let reason = rc == 0 ? "no addresses" : String(cString: gai_strerror(rc))
            return .failure(.resolutionFailed("could not resolve \(target.host): \(reason)"))
        }
        defer { freeaddrinfo(first) }

        var lastError = WebhookError.connectionFailed("no usable address for \(target.host)")
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let address = numericAddress(info.pointee.ai_addr, info.pointee.ai_addrlen, port: target.port)
            switch connectOne(info.pointee, deadline: deadline, address: address) {
            case .success(let fd): return .success(fd)
            case .failure(let error):
                lastError = error
                if case .timedOut = error { return .failure(error) }
            }
        }
        return .failure(lastError)
    }

    private static func connectOne(_ info: addrinfo, deadline: Deadline, address: String) -> Result<Int32, WebhookError> {
        let fd = socket(info.ai_family, streamType, info.ai_protocol)
        guard fd >= 0 else { return .failure(.connectionFailed("socket() failed for \(address): \(errnoText())")) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        #if canImport(Darwin)
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        if posixConnect(fd, info.ai_addr, info.ai_addrlen) == 0 { return .success(fd) }
        guard errno == EINPROGRESS || errno == EINTR else {
            let text = errnoText()
            close(fd)
            return .failure(.connectionFailed("connection to \(address) failed: \(text)"))
        }
        switch wait(fd, for: Int16(POLLOUT), deadline: deadline) {
        case .ready: break
        case .timedOut:
            close(fd)
            return .failure(.timedOut("timed out after \(deadline.seconds) s connecting to \(address)"))
        case .failed(let text):
            close(fd)
            return .failure(.connectionFailed("connection to \(address) failed: \(text)"))
        }
        var socketError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length) != 0 { socketError = errno }
        guard socketError == 0 else {
            close(fd)
            return .failure(.connectionFailed("connection to \(address) failed: \(String(cString: strerror(socketError)))"))
        }
        return .success(fd)
    }

    // MARK: - Send and receive

    private static func send(_ bytes: [UInt8], on fd: Int32, deadline: Deadline, peer: String) -> WebhookError? {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                posixSend(fd, buffer.baseAddress! + offset, bytes.count - offset, sendFlags)
            }
            if sent > 0 {
                offset += sent
                continue
            }
            if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                switch wait(fd, for: Int16(POLLOUT), deadline: deadline) {
                case .ready: continue
                case .timedOut: return .timedOut("timed out after \(deadline.seconds) s sending to \(peer)")
                case .failed(let text): return .connectionFailed("sending to \(peer) failed: \(text)")
                }
            }
            return .connectionFailed("sending to \(peer) failed: \(sent < 0 ? errnoText() : "connection closed")")
        }
        return nil
    }

    private static func readStatus(from fd: Int32, deadline: Deadline, peer: String) -> Result<Int, WebhookError> {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            if let lineEnd = received.firstIndex(of: UInt8(ascii: "\n")) {
                return parseStatusLine(Array(received[..<lineEnd]), peer: peer)
            }
            if received.count > maxResponseHead {
                return .failure(.invalidResponse("no status line in the first \(maxResponseHead) bytes from \(peer)"))
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: chunk[0..<count])
                continue
            }
            if count == 0 {
                return .failure(.invalidResponse("\(peer) closed the connection before sending a status line"))
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else {
                return .failure(.connectionFailed("reading from \(peer) failed: \(errnoText())"))
            }
            switch wait(fd, for: Int16(POLLIN), deadline: deadline) {
            case .ready: continue
            case .timedOut: return .failure(.timedOut("timed out after \(deadline.seconds) s waiting for a response from \(peer)"))
            case .failed(let text): return .failure(.connectionFailed("reading from \(peer) failed: \(text)"))
            }
        }
    }

    /// "HTTP/1.1 204 No Content" → 204.
    static func parseStatusLine(_ line: [UInt8], peer: String) -> Result<Int, WebhookError> {
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3,
              let status = Int(parts[1]), (100...999).contains(status) else {
            return .failure(.invalidResponse("\(peer) sent an invalid status line: \(text.prefix(80).debugDescription)"))
        }
        return .success(status)
    }

    // MARK: - Helpers

    private enum WaitResult { case ready, timedOut, failed(String) }

    /// Polls `fd` for `events` until it is ready or the deadline passes. POLLERR/POLLHUP count as ready:
    /// the following call reports the actual error.
    private static func wait(_ fd: Int32, for events: Int16, deadline: Deadline) -> WaitResult {
        while true {
            let remaining = deadline.remainingMilliseconds()
            if remaining <= 0 { return .timedOut }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&descriptor, 1, remaining)
            if rc > 0 { return .ready }
            if rc == 0 { return .timedOut }
            if errno != EINTR { return .failed(errnoText()) }
        }
    }

    private static func numericAddress(_ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t, port: UInt16) -> String {
        guard let address else { return "?" }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { return "?" }
        let name = String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.contains(":") ? "[\(name)]:\(port)" : "\(name):\(port)"
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    #if os(Linux)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    private static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    private static let streamType = SOCK_STREAM
    private static let sendFlags: Int32 = 0
    #endif
}

/// The shared deadline of one attempt, on the monotonic clock (immune to wall-clock changes).
private struct Deadline {
    let seconds: Double
    private let end: UInt64

    init(seconds: Double) {
        self.seconds = seconds
        let nanos = seconds.isFinite && seconds > 0 ? min(seconds * 1e9, 1e15) : 0
        end = Deadline.now() + UInt64(nanos)
    }

    /// Milliseconds left, rounded up, for poll().
    func remainingMilliseconds() -> Int32 {
        let now = Deadline.now()
        guard now < end else { return 0 }
        return Int32(min((end - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    private static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

// `connect` and `send` are shadowed by the static methods above; these name the C functions.
private func posixConnect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>!, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

private func posixSend(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    send(fd, buffer, count, flags)
}
