import CLibWebSockets
#if canImport(Glibc)
import Glibc
#endif

/// Every piece of C memory handed to lws at context creation: the protocols array with its zeroed terminator
/// and the strings it points at. lws keeps raw pointers into all of it, so it
/// must outlive the context: the server frees it only after `lws_context_destroy`.
final class LWSContextMemory {
    static let protocolName = "chat"

    let protocols: UnsafeMutablePointer<lws_protocols>
    private var strings: [UnsafeMutablePointer<CChar>] = []
    let host: UnsafeMutablePointer<CChar>
    /// The TLS certificate and key paths, when configured (lws keeps the pointers).
    let tlsCertificate: UnsafeMutablePointer<CChar>?
    let tlsPrivateKey: UnsafeMutablePointer<CChar>?

    init(config: TransportConfig) {
        protocols = .allocate(capacity: 2)
        memset(protocols, 0, MemoryLayout<lws_protocols>.stride * 2)
        host = strdup(config.host)
        tlsCertificate = config.tlsCertificatePath.map { strdup($0) }
        tlsPrivateKey = config.tlsPrivateKeyPath.map { strdup($0) }
        let name = strdup(Self.protocolName)!
        strings.append(name)
        protocols[0].name = UnsafePointer(name)
        protocols[0].callback = chatTransportCallback
        protocols[0].per_session_data_size = MemoryLayout<chat_lws_pss>.size
        // lws reads at most this much per RECEIVE callback; bigger messages arrive in pieces and are reassembled.
        protocols[0].rx_buffer_size = max(4096, min(config.maxFrameBytes, 64 * 1024))
        // protocols[1] stays zeroed: the terminator lws looks for.

        // No lws mounts: every HTTP request reaches the protocol callback, which routes dynamic paths and serves
        // static files itself (StaticFileResolver + lws_serve_http_file), with the security headers of its path.
    }

    deinit {
        protocols.deallocate()
        for s in strings { free(s) }
        free(host)
        if let tlsCertificate { free(tlsCertificate) }
        if let tlsPrivateKey { free(tlsPrivateKey) }
    }
}
