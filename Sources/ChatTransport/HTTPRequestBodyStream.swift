/// The state of one streamed request body (an upload): the delegate got the head, and gets the body in chunks,
/// in order, as lws reads them, instead of one buffered `body`. Service thread only.
///
/// Flow control: every chunk handed to the delegate is outstanding until the delegate reports it consumed
/// (``WebSocketServer/requestBodyConsumed(_:chunks:)``, typically after a worker wrote it to disk). Above
/// `pauseAbove` outstanding chunks the socket stops being read (`lws_rx_flow_control(wsi, 0)`), so a fast client
/// and a slow disk never pile chunks up in memory; at `resumeAt` or fewer it is read again.
final class HTTPRequestBodyStream {
    /// At most this many bytes are accepted; more is refused 413 and the delegate told the body was cut short.
    let limit: Int
    var received = 0
    var outstanding = 0
    var paused = false
    /// The whole body arrived (or was refused): a response may now be written.
    var isComplete = false
    /// The body went over `limit` while streaming: the rest is read and dropped.
    var tooLarge = false

    static let pauseAbove = 4
    static let resumeAt = 1

    init(limit: Int) { self.limit = limit }
}
