import CLibWebSockets
#if canImport(Glibc)
import Glibc
#endif

/// Every piece of C memory handed to lws at context creation: the protocols array with its zeroed terminator,
/// the mount chain, the mimetype list and the strings they point at. lws keeps raw pointers into all of it, so it
/// must outlive the context: the server frees it only after `lws_context_destroy`.
final class LWSContextMemory {
    static let protocolName = "chat"

    let protocols: UnsafeMutablePointer<lws_protocols>
    /// Head of the mount chain, nil when no static folder is served.
    private(set) var firstMount: UnsafeMutablePointer<lws_http_mount>?
    private var mounts: [UnsafeMutablePointer<lws_http_mount>] = []
    private var options: [UnsafeMutablePointer<lws_protocol_vhost_options>] = []
    private var strings: [UnsafeMutablePointer<CChar>] = []
    let host: UnsafeMutablePointer<CChar>

    init(config: TransportConfig) {
        protocols = .allocate(capacity: 2)
        memset(protocols, 0, MemoryLayout<lws_protocols>.stride * 2)
        host = strdup(config.host)
        let name = strdup(Self.protocolName)!
        strings.append(name)
        protocols[0].name = UnsafePointer(name)
        protocols[0].callback = chatTransportCallback
        protocols[0].per_session_data_size = MemoryLayout<chat_lws_pss>.size
        // lws reads at most this much per RECEIVE callback; bigger messages arrive in pieces and are reassembled.
        protocols[0].rx_buffer_size = max(4096, min(config.maxFrameBytes, 64 * 1024))
        // protocols[1] stays zeroed: the terminator lws looks for.

        if let root = config.staticRoot {
            buildMounts(staticRoot: root)
        }
    }

    private func cString(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        strings.append(p)
        return UnsafePointer(p)
    }

    /// "/" serves the folder; "/api" and "/healthz" are callback mounts so dynamic routes win over files
    /// (lws picks the longest matching mountpoint).
    private func buildMounts(staticRoot: String) {
        // lws's built-in table says application/javascript for .js; ES modules want text/javascript, and .json is missing.
        let mimeTypes: [(String, String)] = [
            (".js", "text/javascript"), (".mjs", "text/javascript"), (".css", "text/css"),
            (".html", "text/html"), (".svg", "image/svg+xml"), (".png", "image/png"),
            (".json", "application/json"), (".ico", "image/x-icon"), (".woff2", "font/woff2"),
        ]
        var nextOption: UnsafeMutablePointer<lws_protocol_vhost_options>? = nil
        for (ext, type) in mimeTypes.reversed() {
            let o = UnsafeMutablePointer<lws_protocol_vhost_options>.allocate(capacity: 1)
            memset(o, 0, MemoryLayout<lws_protocol_vhost_options>.stride)
            o.pointee.next = UnsafePointer(nextOption)
            o.pointee.name = cString(ext)
            o.pointee.value = cString(type)
            options.append(o)
            nextOption = o
        }

        func mount(_ point: String, origin: String, kind: lws_mount_protocols,
                   next: UnsafeMutablePointer<lws_http_mount>?) -> UnsafeMutablePointer<lws_http_mount> {
            let m = UnsafeMutablePointer<lws_http_mount>.allocate(capacity: 1)
            memset(m, 0, MemoryLayout<lws_http_mount>.stride)
            m.pointee.mount_next = UnsafePointer(next)
            m.pointee.mountpoint = cString(point)
            m.pointee.mountpoint_len = UInt8(point.utf8.count)
            m.pointee.origin = cString(origin)
            m.pointee.origin_protocol = UInt8(kind.rawValue)
            mounts.append(m)
            return m
        }
        let healthz = mount("/healthz", origin: Self.protocolName, kind: LWSMPRO_CALLBACK, next: nil)
        let api = mount("/api", origin: Self.protocolName, kind: LWSMPRO_CALLBACK, next: healthz)
        let files = mount("/", origin: staticRoot, kind: LWSMPRO_FILE, next: api)
        files.pointee.def = cString("index.html")
        files.pointee.extra_mimetypes = UnsafePointer(nextOption)
        firstMount = files
    }

    deinit {
        protocols.deallocate()
        for m in mounts { m.deallocate() }
        for o in options { o.deallocate() }
        for s in strings { free(s) }
        free(host)
    }
}
