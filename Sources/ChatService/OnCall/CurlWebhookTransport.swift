import CCurl
import Foundation

/// The webhook client, on libcurl: one POST per attempt over HTTPS (the peer's certificate and name verified
/// against the system's CAs, or `caFile`) or HTTP; one `timeout` for the whole attempt (name resolution
/// included); redirects are not followed (a 3xx is the answer); only http and https are ever spoken.
///
/// Threading: a fresh easy handle per `post`, so any thread may call it; `post` blocks its caller (the
/// notifier's own thread). `CurlWebhookTransport.globalInit()` must run once before any thread uses libcurl
/// (the server does it at start-up).
public struct CurlWebhookTransport: WebhookTransport {
    public let caFile: String?

    public init(caFile: String? = nil) {
        self.caFile = caFile
        Self.globalInit()
    }

    private static let initialized: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    /// libcurl's process-wide set-up (not thread-safe in libcurl itself; Swift runs this once).
    @discardableResult
    public static func globalInit() -> Bool { initialized }

    public func post(url: String, headers: [String: String], body: [UInt8], timeout: Double) -> Result<Int, WebhookError> {
        do {
            _ = try WebhookURL(parsing: url)
        } catch {
            return .failure(error)
        }
        for (name, value) in headers where Self.unsafe(name) || Self.unsafe(value) || name.contains(":") {
            return .failure(.invalidHeader("header \(name) contains a line break or a colon in its name"))
        }
        guard let curl = curl_easy_init() else { return .failure(.connectionFailed("libcurl could not start a transfer")) }
        defer { curl_easy_cleanup(curl) }
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        list = curl_slist_append(list, "Expect:")   // no 100-continue round trip
        defer { curl_slist_free_all(list) }
        let milliseconds = max(1, Int(timeout * 1000))
        let code: CURLcode = body.withUnsafeBytes { bytes in
            var ok = chatd_curl_set_string(curl, CURLOPT_URL, url) == CURLE_OK
            ok = ok && chatd_curl_set_string(curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK
            ok = ok && chatd_curl_set_long(curl, CURLOPT_POST, 1) == CURLE_OK
            ok = ok && chatd_curl_set_long(curl, CURLOPT_POSTFIELDSIZE, bytes.count) == CURLE_OK
            ok = ok && chatd_curl_set_pointer(curl, CURLOPT_POSTFIELDS,
                                              UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)) == CURLE_OK
            ok = ok && chatd_curl_set_slist(curl, CURLOPT_HTTPHEADER, list) == CURLE_OK
            ok = ok && chatd_curl_set_long(curl, CURLOPT_TIMEOUT_MS, milliseconds) == CURLE_OK
            ok = ok && chatd_curl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, milliseconds) == CURLE_OK
            ok = ok && chatd_curl_set_long(curl, CURLOPT_FOLLOWLOCATION, 0) == CURLE_OK
            ok = ok && chatd_curl_set_long(curl, CURLOPT_SSL_VERIFYPEER, 1) == CURLE_OK
            ok = ok && chatd_curl_set_long(curl, CURLOPT_SSL_VERIFYHOST, 2) == CURLE_OK
            ok = ok && chatd_curl_set_long(curl, CURLOPT_NOSIGNAL, 1) == CURLE_OK
            ok = ok && chatd_curl_discard_body(curl) == CURLE_OK
            if let caFile { ok = ok && chatd_curl_set_string(curl, CURLOPT_CAINFO, caFile) == CURLE_OK }
            guard ok else { return CURLE_FAILED_INIT }
            return curl_easy_perform(curl)
        }
        guard code == CURLE_OK else { return .failure(Self.error(code, url: url)) }
        let status = chatd_curl_response_code(curl)
        guard (100...599).contains(status) else { return .failure(.invalidResponse("\(url) answered no HTTP status")) }
        return .success(status)
    }

    /// Line breaks (checked by scalar: "\r\n" is one Character) or NUL would split or cut a header.
    static func unsafe(_ text: String) -> Bool { text.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "\0" } }

    /// libcurl's result as the notifier's error kinds (the sentence keeps libcurl's own words).
    static func error(_ code: CURLcode, url: String) -> WebhookError {
        let words = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .resolutionFailed("\(url): \(words)")
        case CURLE_COULDNT_CONNECT, CURLE_SEND_ERROR, CURLE_RECV_ERROR: return .connectionFailed("\(url): \(words)")
        case CURLE_OPERATION_TIMEDOUT: return .timedOut("\(url): \(words)")
        case CURLE_UNSUPPORTED_PROTOCOL: return .unsupportedScheme("\(url): \(words)")
        case CURLE_URL_MALFORMAT: return .invalidURL("\(url): \(words)")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            return .tlsFailed("\(url): \(words)")
        case CURLE_GOT_NOTHING, CURLE_WEIRD_SERVER_REPLY: return .invalidResponse("\(url): \(words)")
        default: return .connectionFailed("\(url): \(words)")
        }
    }
}
