import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum RawSocketError: Error, CustomStringConvertible {
    case connectFailed(Int32)
    case handshakeRefused(String)
    case timedOutOrReset(Int32)
    case protocolError(String)
    var description: String {
        switch self {
        case .connectFailed(let e): return "connect failed errno=\(e)"
        case .handshakeRefused(let s): return "handshake refused: \(s)"
        case .timedOutOrReset(let e): return "read timed out or reset errno=\(e)"
        case .protocolError(let s): return "protocol error: \(s)"
        }
    }
}

/// A blocking TCP connection to 127.0.0.1 with a receive timeout, so a broken server fails a test instead of
/// hanging it. Test-side only.
final class RawSocket {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, receiveBufferSize: Int32? = nil, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBufferSize {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            let e = errno
            Glibc.close(fd)
            throw RawSocketError.connectFailed(e)
        }
    }

    deinit { Glibc.close(fd) }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func write(_ s: String) { write(Array(s.utf8)) }

    /// Reads at least one more byte into the pending buffer; false at EOF.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw RawSocketError.timedOutOrReset(errno) }
        if n == 0 { return false }
        pending.append(contentsOf: chunk[0..<n])
        return true
    }

    func read(exactly count: Int) throws -> [UInt8] {
        while pending.count < count {
            guard try fill() else { throw RawSocketError.protocolError("EOF after \(pending.count)/\(count) bytes") }
        }
        let out = Array(pending[0..<count])
        pending.removeFirst(count)
        return out
    }

    /// Bytes up to and including "\r\n\r\n".
    func readHTTPHead() throws -> String {
        let marker: [UInt8] = [13, 10, 13, 10]
        while true {
            if let range = pending.firstRange(of: marker) {
                let head = Array(pending[..<range.upperBound])
                pending.removeFirst(range.upperBound)
                return String(decoding: head, as: UTF8.self)
            }
            guard try fill() else {
                throw RawSocketError.protocolError("EOF in HTTP head: \(String(decoding: pending, as: UTF8.self))")
            }
        }
    }

    func readToEOF() throws -> [UInt8] {
        while try fill() {}
        defer { pending.removeAll() }
        return pending
    }

    /// True if the peer closed (EOF or reset) without sending anything more.
    func peerClosedWithoutData() -> Bool {
        if !pending.isEmpty { return false }
        do { return try !fill() } catch RawSocketError.timedOutOrReset(let e) { return e == ECONNRESET } catch {
            return false
        }
    }
}

/// Minimal RFC 6455 client over ``RawSocket``: handshake, masked client frames (optionally fragmented),
/// unmasked server frames. Lets tests send frames a browser never would (binary, odd fragmentation, oversized).
final class RawWebSocketClient {
    enum Message: Equatable {
        case text(String)
        case binary([UInt8])
        case close(code: UInt16, reason: String)
    }

    let socket: RawSocket

    /// `withHandshake` bytes are sent in the same write as the handshake (a client that does not wait for 101).
    init(port: Int, path: String = "/ws", receiveBufferSize: Int32? = nil, withHandshake early: [UInt8] = []) throws {
        socket = try RawSocket(port: port, receiveBufferSize: receiveBufferSize)
        socket.write(Array(("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8) + early)
        let head: String
        do { head = try socket.readHTTPHead() } catch { throw RawSocketError.handshakeRefused("\(error)") }
        guard head.hasPrefix("HTTP/1.1 101") else { throw RawSocketError.handshakeRefused(head) }
    }

    /// `masked: false` sends the frame as a server would, which RFC 6455 §5.1 forbids a client to do.
    func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true) {
        socket.write(Self.frame(opcode: opcode, payload: payload, fin: fin, masked: masked))
    }

    static func frame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true) -> [UInt8] {
        let maskBit: UInt8 = masked ? 0x80 : 0
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let n = payload.count
        if n < 126 {
            frame.append(maskBit | UInt8(n))
        } else if n <= 0xFFFF {
            frame.append(maskBit | 126)
            frame += [UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            frame.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((n >> shift) & 0xFF)) }
        }
        guard masked else { return frame + payload }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame += mask
        frame.reserveCapacity(frame.count + n)
        for (i, b) in payload.enumerated() { frame.append(b ^ mask[i & 3]) }
        return frame
    }

    func sendText(_ s: String) { sendFrame(opcode: 1, payload: Array(s.utf8)) }

    func sendClose(code: UInt16 = 1000) { sendFrame(opcode: 8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)]) }

    /// Next whole message; answers a close with a close, as a browser does.
    func readMessage() throws -> Message {
        var assembled: [UInt8] = []
        var messageOpcode: UInt8 = 0
        while true {
            let h = try socket.read(exactly: 2)
            let fin = h[0] & 0x80 != 0
            let opcode = h[0] & 0x0F
            var length = Int(h[1] & 0x7F)
            if length == 126 {
                let e = try socket.read(exactly: 2)
                length = Int(e[0]) << 8 | Int(e[1])
            } else if length == 127 {
                length = try socket.read(exactly: 8).reduce(0) { $0 << 8 | Int($1) }
            }
            if h[1] & 0x80 != 0 { throw RawSocketError.protocolError("server frame is masked") }
            let payload = try socket.read(exactly: length)
            switch opcode {
            case 8:
                let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005
                let reason = payload.count > 2 ? String(decoding: payload[2...], as: UTF8.self) : ""
                sendClose(code: code == 1005 ? 1000 : code)
                return .close(code: code, reason: reason)
            case 9:
                sendFrame(opcode: 10, payload: payload)
                continue
            case 10:
                continue
            default:
                if opcode != 0 { messageOpcode = opcode }
                assembled += payload
                if fin {
                    return messageOpcode == 2 ? .binary(assembled) : .text(String(decoding: assembled, as: UTF8.self))
                }
            }
        }
    }

    /// Reads (skipping data messages) until the close frame arrives.
    func readUntilClose() throws -> (code: UInt16, reason: String, skippedMessages: Int) {
        var skipped = 0
        while true {
            if case .close(let code, let reason) = try readMessage() { return (code, reason, skipped) }
            skipped += 1
        }
    }
}

/// The answer to one HTTP/1.1 request sent with "Connection: close".
struct RawHTTPResponse {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

func rawHTTP(port: Int, method: String, path: String, headers: [String: String] = [:],
             body: [UInt8] = []) throws -> RawHTTPResponse {
    let socket = try RawSocket(port: port)
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (k, v) in headers { head += "\(k): \(v)\r\n" }
    if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" {
        head += "Content-Length: \(body.count)\r\n"
    }
    socket.write(Array((head + "\r\n").utf8) + body)
    let responseHead = try socket.readHTTPHead()
    var lines = responseHead.components(separatedBy: "\r\n")
    let statusLine = lines.removeFirst().split(separator: " ")
    guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
        throw RawSocketError.protocolError("bad status line in \(responseHead)")
    }
    var responseHeaders: [String: String] = [:]
    for line in lines where !line.isEmpty {
        guard let colon = line.firstIndex(of: ":") else { continue }
        responseHeaders[line[..<colon].lowercased()] =
            line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    let responseBody: [UInt8]
    if let length = responseHeaders["content-length"].flatMap({ Int($0) }) {
        responseBody = try socket.read(exactly: length)
    } else {
        responseBody = try socket.readToEOF()
    }
    return RawHTTPResponse(status: status, headers: responseHeaders, body: responseBody)
}
