/// Carries one webhook attempt: an HTTP POST that returns the response's status code.
///
/// Threading: `post` blocks the calling thread for up to `timeout` seconds (plus name resolution), so it is
/// only ever called from the notifier's dedicated thread, never from the lws service thread or a Swift Task.
/// Implementations must be safe to call from any thread.
public protocol WebhookTransport: Sendable {
    /// Sends `body` to `url` with `headers` (the transport adds `Host`, `Content-Length` and
    /// `Connection: close`) and returns the HTTP status, or why there was none.
    func post(url: String, headers: [String: String], body: [UInt8], timeout: Double) -> Result<Int, WebhookError>
}
