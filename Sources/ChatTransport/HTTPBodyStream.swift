/// The body of a streamed HTTP response: bytes the application appended and the transport has not yet written.
/// Bounded: the application appends the next part only after the transport says there is room (flow control),
/// and an append beyond `capacity` aborts the response. Service thread only.
final class HTTPBodyStream {
    /// Most bytes that may wait to be written.
    let capacity: Int
    /// At or below this many waiting bytes the application is told to append more.
    let lowWater: Int
    private(set) var pending: [UInt8] = []
    private var offset = 0
    /// The application appended its last part.
    private(set) var isFinished = false
    /// The application was told there is no room; tell it (once) when the buffer falls to `lowWater`.
    var drainWanted = false

    init(capacity: Int, lowWater: Int) {
        self.capacity = capacity
        self.lowWater = lowWater
    }

    var waitingCount: Int { pending.count - offset }

    /// False (and nothing appended) when the bytes would pass `capacity`.
    func append(_ bytes: [UInt8], isLast: Bool) -> Bool {
        guard waitingCount + bytes.count <= capacity else { return false }
        if offset > 0 && offset >= pending.count / 2 {
            pending.removeFirst(offset)
            offset = 0
        }
        pending.append(contentsOf: bytes)
        if isLast { isFinished = true }
        return true
    }

    /// Takes up to `count` waiting bytes.
    func take(_ count: Int) -> ArraySlice<UInt8> {
        let n = min(count, waitingCount)
        defer { offset += n }
        return pending[offset..<(offset + n)]
    }
}

/// What ``WebSocketServer/appendStream(to:_:isLast:)`` did.
public enum StreamAppendResult: Sendable, Equatable {
    /// Queued. `room`: the buffer is at or below its low-water mark, append the next part now; otherwise wait for
    /// ``TransportDelegate/transport(_:streamDidDrain:)``.
    case queued(room: Bool)
    /// The request is gone (the client left, or the stream was aborted): stop producing.
    case unknownRequest
    /// The part would have passed the buffer's capacity: the response was aborted (the connection closes without
    /// the final chunk, so the client sees a truncated body).
    case overflow
}
