import CFrameGuard
import ChatTransport
import Foundation
import XCTest

/// RFC 6455 §5.1: a client frame without the mask bit closes the connection with 1002, whatever the frame.
final class UnmaskedFrameTests: XCTestCase {
    private func echoHarness() throws -> ServerHarness {
        let delegate = RecordingDelegate()
        delegate.onText = { server, id, bytes in _ = server.send(bytes, to: id) }
        delegate.onRequest = { server, request in server.respond(to: request.id, with: HTTPResponse(status: 204)) }
        return try ServerHarness(delegate: delegate)
    }

    func testTheGuardSeesTheSocketReads() {
        XCTAssertEqual(chat_frame_guard_active(), 1)
    }

    func testUnmaskedTextFrameClosesWith1002AndIsNotDelivered() throws {
        let h = try echoHarness()
        let ws = try RawWebSocketClient(port: h.port)
        ws.sendText("masked is fine")
        XCTAssertEqual(try ws.readMessage(), .text("masked is fine"))
        ws.sendFrame(opcode: 1, payload: Array("not masked".utf8), masked: false)
        let close = try ws.readUntilClose()
        XCTAssertEqual(close.code, 1002)
        XCTAssertEqual(close.reason, "unmasked frame")
        XCTAssertEqual(close.skippedMessages, 0)
        XCTAssertTrue(h.delegate.waitFor { $0.contains { if case .close = $0 { return true } else { return false } } })
        XCTAssertFalse(h.delegate.events.contains(where: { $0 == .text(1, "not masked") || {
            if case .text(_, let text) = $0 { return text == "not masked" } else { return false } }($0) }))
    }

    func testUnmaskedControlFramesCloseWith1002() throws {
        let h = try echoHarness()
        for opcode: UInt8 in [9, 10] {  // ping, pong: lws handles them without calling the transport
            let ws = try RawWebSocketClient(port: h.port)
            ws.sendFrame(opcode: opcode, payload: Array("p".utf8), masked: false)
            XCTAssertEqual(try ws.readUntilClose().code, 1002, "opcode \(opcode)")
        }
    }

    func testUnmaskedFrameSentWithTheHandshakeIsCaught() throws {
        let h = try echoHarness()
        let early = RawWebSocketClient.frame(opcode: 1, payload: Array("too early".utf8), masked: false)
        let ws = try RawWebSocketClient(port: h.port, withHandshake: early)
        XCTAssertEqual(try ws.readUntilClose().code, 1002)
        XCTAssertFalse(h.delegate.events.contains { if case .text = $0 { return true } else { return false } })
    }

    func testMaskedFramesOfEverySizeAndFragmentationPass() throws {
        let h = try echoHarness()
        let ws = try RawWebSocketClient(port: h.port)
        for size in [1, 125, 126, 127, 65_535, 65_536 - 100] {
            let text = String(repeating: "x", count: size)
            ws.sendText(text)
            XCTAssertEqual(try ws.readMessage(), .text(text), "size \(size)")
        }
        let fragmented = try RawWebSocketClient(port: h.port)
        fragmented.sendFrame(opcode: 1, payload: Array("frag".utf8), fin: false)
        fragmented.sendFrame(opcode: 9, payload: Array("ping".utf8))  // a control frame between fragments
        fragmented.sendFrame(opcode: 0, payload: Array("mented".utf8), fin: true)
        XCTAssertEqual(try fragmented.readMessage(), .text("fragmented"))
        // Plain HTTP bodies are not frames: a POST with a body that looks like an unmasked frame is just a body.
        let post = try rawHTTP(port: h.port, method: "POST", path: "/api/x", body: [0x81, 0x05] + Array("hello".utf8))
        XCTAssertEqual(post.status, 204)
    }

    func testScannerFollowsFramesByteByByte() {
        var stream = Array("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        stream += RawWebSocketClient.frame(opcode: 1, payload: [UInt8](repeating: 65, count: 300))
        stream += RawWebSocketClient.frame(opcode: 2, payload: [UInt8](repeating: 0x80, count: 70_000))
        stream += RawWebSocketClient.frame(opcode: 9, payload: [])
        var state = chat_frame_scan()
        for byte in stream {
            XCTAssertEqual([byte].withUnsafeBufferPointer { chat_frame_scan_feed(&state, $0.baseAddress, 1) }, 0)
        }
        let bad = RawWebSocketClient.frame(opcode: 1, payload: Array("x".utf8), masked: false)
        XCTAssertEqual(bad.withUnsafeBufferPointer { chat_frame_scan_feed(&state, $0.baseAddress, $0.count) }, 1)
    }
}
