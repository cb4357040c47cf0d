import CLibWebSockets

/// One outgoing WebSocket text message, allocated once with `LWS_PRE` bytes of headroom so `lws_write` can put the
/// frame header in front of the payload without copying. Encode a message once and queue the same value for every
/// connection it goes to (an event to all the followers of a chat): they share one buffer.
///
/// Sharing is safe because, for each connection in turn, `lws_write` only writes the frame header into the
/// headroom (the same bytes every time: server frames are not masked, and no extension that rewrites payloads is
/// enabled) and copies whatever the socket does not take at once into its own buffer, so nothing refers to the
/// buffer once `lws_write` returns. Service thread only, like the queues that hold it; not `Sendable`.
public struct OutgoingMessage {
    /// The count of payload bytes in the header; `LWS_PRE` bytes of headroom, then the payload, in the elements.
    final class Buffer: ManagedBuffer<Int, UInt8> {}

    let buffer: Buffer

    /// Payload bytes.
    public var count: Int { buffer.header }

    public init(copying bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        buffer = unsafeDowncast(Buffer.create(minimumCapacity: lwsPre + count) { _ in count }, to: Buffer.self)
        if let base = bytes.baseAddress, count > 0 {
            buffer.withUnsafeMutablePointerToElements { elements in
                UnsafeMutableRawPointer(elements + lwsPre).copyMemory(from: base, byteCount: count)
            }
        }
    }

    public init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { OutgoingMessage(copying: $0) }
    }

    /// Calls `body` with the payload; the `LWS_PRE` bytes before it are writable headroom.
    func withPayload<R>(_ body: (UnsafeMutablePointer<UInt8>) -> R) -> R {
        buffer.withUnsafeMutablePointerToElements { body($0 + lwsPre) }
    }
}

/// `LWS_PRE`, read once.
let lwsPre: Int = chat_lws_pre()

/// FIFO of messages waiting for `LWS_CALLBACK_SERVER_WRITEABLE`, counting the payload bytes it holds.
/// Array plus head index: O(1) amortised push/pop without per-operation allocation once warmed up; a popped slot
/// is cleared at once, so a written message shared with other connections is not kept alive by this queue.
/// Service thread only (owned by one `WebSocketConnection`).
struct OutgoingFrameQueue {
    private var frames: [OutgoingMessage?] = []
    private var head = 0
    private(set) var byteCount = 0

    var isEmpty: Bool { head == frames.count }
    var count: Int { frames.count - head }
    /// The next message `pop` returns.
    var first: OutgoingMessage? { head < frames.count ? frames[head] : nil }

    mutating func push(_ frame: OutgoingMessage) {
        frames.append(frame)
        byteCount += frame.count
    }

    mutating func pop() -> OutgoingMessage? {
        guard head < frames.count, let frame = frames[head] else { return nil }
        frames[head] = nil
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

    /// Forgets every queued message.
    mutating func drop() {
        frames.removeAll(keepingCapacity: false)
        head = 0
        byteCount = 0
    }
}
