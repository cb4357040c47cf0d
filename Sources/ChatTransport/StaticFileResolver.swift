#if canImport(Glibc)
import Glibc
#endif

/// Maps a request path onto a file of the static folder, or refuses it. Plain data; safe from any thread.
///
/// Rules: any path segment that starts with a dot is refused (dotfiles such as `.git` or `.env`, and `..`);
/// a folder is served through its `index.html` (a folder asked for without its trailing slash is redirected to it,
/// so the page's relative links resolve); the file's real path (every symlink resolved) must lie inside the
/// folder's real path, so a symlink never leads out of the web root; only regular files are served.
///
/// ``resolve(_:)`` calls `realpath` and `stat` on the local disk: cheap, metadata-only calls, the same kind lws's
/// own file mount makes on the service thread before it opens a file.
public struct StaticFileResolver: Sendable {
    /// What a request path is answered with.
    public enum Resolution: Equatable, Sendable {
        /// Serve this file (its resolved absolute path) with this content type.
        case file(path: String, contentType: String)
        /// 301 to this location (a folder without its trailing slash).
        case redirect(location: String)
        case notFound
    }

    /// The folder's real path, without a trailing slash; nil when it does not exist.
    public let rootRealPath: String?
    public static let indexDocument = "index.html"

    /// Any thread. Resolves `root` once (a web root replaced after start-up is not followed).
    public init(root: String) {
        rootRealPath = Self.realPath(root)
    }

    /// Any thread. `path` is the request path without its query, as lws decoded it (absolute, `/`-separated).
    public func resolve(_ path: String) -> Resolution {
        guard let root = rootRealPath, path.hasPrefix("/") else { return .notFound }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        // Dot segments: hidden files and folders, and any attempt at "..".
        if segments.contains(where: { $0.hasPrefix(".") }) { return .notFound }
        var candidate = root + (segments.isEmpty ? "" : "/" + segments.joined(separator: "/"))
        guard var real = Self.realPath(candidate), Self.isInside(real, root: root) else { return .notFound }
        if Self.isDirectory(real) {
            if !path.hasSuffix("/") { return .redirect(location: path + "/") }
            candidate = real + "/" + Self.indexDocument
            guard let index = Self.realPath(candidate), Self.isInside(index, root: root) else { return .notFound }
            real = index
        }
        guard Self.isRegularFile(real) else { return .notFound }
        return .file(path: real, contentType: Self.contentType(forPath: real))
    }

    /// Content types by extension. ES modules need text/javascript; anything unknown is an opaque download.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "json": "application/json",
        "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "webp": "image/webp", "ico": "image/x-icon", "woff2": "font/woff2", "woff": "font/woff",
        "txt": "text/plain; charset=utf-8", "map": "application/json", "wav": "audio/wav", "mp3": "audio/mpeg",
    ]

    static func contentType(forPath path: String) -> String {
        guard let name = path.split(separator: "/").last, let dot = name.lastIndex(of: ".") else {
            return "application/octet-stream"
        }
        return contentTypes[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }

    static func isInside(_ real: String, root: String) -> Bool {
        real == root || real.hasPrefix(root == "/" ? "/" : root + "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    static func isDirectory(_ path: String) -> Bool { mode(path) == S_IFDIR }
    static func isRegularFile(_ path: String) -> Bool { mode(path) == S_IFREG }
}
