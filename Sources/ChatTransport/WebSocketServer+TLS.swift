import CLibWebSockets
import Foundation

extension WebSocketServer {
    /// Whether the server speaks HTTPS/WSS (a certificate and key were configured).
    public var isTLS: Bool { config.tlsCertificatePath != nil && config.tlsPrivateKeyPath != nil }

    /// Reads the configured certificate and key files again and uses them for new TLS connections; open ones keep
    /// theirs (no chat is dropped). For a renewed certificate: replace the files, then signal the server (chatd
    /// does this on SIGHUP). Service thread only (post it through the owner's mailbox from elsewhere).
    /// - Returns: nil on success, else why the files were not taken (the old certificate stays in use).
    public func reloadTLSCertificate() -> String? {
        assertServiceThread()
        guard let context, let certificatePath = config.tlsCertificatePath, let keyPath = config.tlsPrivateKeyPath else {
            return "TLS is not configured"
        }
        guard let certificate = FileManager.default.contents(atPath: certificatePath),
              let key = FileManager.default.contents(atPath: keyPath) else {
            return "cannot read \(certificatePath) or \(keyPath)"
        }
        // lws copies what it needs; PEM in memory must be NUL-terminated for OpenSSL's PEM reader.
        var certificateBytes = [UInt8](certificate) + [0]
        var keyBytes = [UInt8](key) + [0]
        let result = certificateBytes.withUnsafeMutableBufferPointer { cert in
            keyBytes.withUnsafeMutableBufferPointer { key in
                lws_tls_cert_updated(context, certificatePath, keyPath,
                                     UnsafeRawPointer(cert.baseAddress!).assumingMemoryBound(to: CChar.self), cert.count - 1,
                                     UnsafeRawPointer(key.baseAddress!).assumingMemoryBound(to: CChar.self), key.count - 1)
            }
        }
        return result == 0 ? nil : "libwebsockets refused the new certificate or key (error \(result))"
    }
}
