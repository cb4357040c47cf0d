/// Why one webhook attempt did not get an HTTP status. Every case carries a human sentence
/// (also in `description`), which the notifier copies into `NotificationOutcome` details.
public enum WebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not `http://host[:port][/path]`.
    case invalidURL(String)
    /// The URL uses a scheme other than http and https.
    case unsupportedScheme(String)
    /// A header name or value contains a line break or is otherwise unsafe to send.
    case invalidHeader(String)
    /// `getaddrinfo` could not resolve the host.
    case resolutionFailed(String)
    /// The TCP connection failed (refused, unreachable, reset).
    case connectionFailed(String)
    /// The attempt's deadline (`timeoutSeconds`) passed while connecting, sending or waiting for the status line.
    case timedOut(String)
    /// The peer answered something that is not an HTTP status, or closed before answering.
    case invalidResponse(String)
    /// The TLS handshake failed, notably a certificate that does not verify against the trusted CAs.
    case tlsFailed(String)

    public var description: String {
        switch self {
        case .invalidURL(let text), .unsupportedScheme(let text), .invalidHeader(let text),
             .resolutionFailed(let text), .connectionFailed(let text), .timedOut(let text), .invalidResponse(let text),
             .tlsFailed(let text):
            return text
        }
    }
}
