import CLibWebSockets

/// One outgoing WebSocket message, allocated once with `LWS_PRE` bytes of headroom so `lws_write` can put the
/// frame header in front of the payload without copying.
struct OutgoingFrame {
    /// Start of the allocation; the payload begins `lwsPre` bytes later.
    let storage: UnsafeMutableRawPointer
    let count: Int

    init(copying bytes: UnsafeRawBufferPointer) {
        storage = UnsafeMutableRawPointer.allocate(byteCount: lwsPre + bytes.count, alignment: 16)
        count = bytes.count
        if let base = bytes.baseAddress, bytes.count > 0 {
            (storage + lwsPre).copyMemory(from: base, byteCount: bytes.count)
        }
    }

    var payload: UnsafeMutablePointer<UInt8> {
        (storage + lwsPre).assumingMemoryBound(to: UInt8.self)
    }

    func free() { storage.deallocate() }
}

/// `LWS_PRE`, read once.
let lwsPre: Int = chat_lws_pre()

/// FIFO of frames waiting for `LWS_CALLBACK_SERVER_WRITEABLE`, counting the payload bytes it holds.
/// Array plus head index: O(1) amortised push/pop without per-operation allocation once warmed up.
/// Service thread only (owned by one `WebSocketConnection`).
struct OutgoingFrameQueue {
    private var frames: [OutgoingFrame] = []
    private var head = 0
    private(set) var byteCount = 0

    var isEmpty: Bool { head == frames.count }
    var count: Int { frames.count - head }

    mutating func push(_ frame: OutgoingFrame) {
        frames.append(frame)
        byteCount += frame.count
    }

    /// The caller owns the popped frame and must `free()` it.
    mutating func pop() -> OutgoingFrame? {
        guard head < frames.count else { return nil }
        let frame = frames[head]
        head += 1
        byteCount -= frame.count
        if head == frames.count {
            frames.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= frames.count {
            frames.removeFirst(head)
            head = 0
        }
        return frame
    }

    /// Frees every queued frame.
    mutating func drop() {
        for i in head..<frames.count { frames[i].free() }
        frames.removeAll(keepingCapacity: false)
        head = 0
        byteCount = 0
    }
}
