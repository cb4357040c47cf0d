// swift-tools-version:6.0
import Foundation
import PackageDescription

let package = Package(
    name: "SupportChat",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "chatd", targets: ["chatd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // System libraries (Debian packages): libwebsockets and OpenSSL's libcrypto (HMAC, PBKDF2, RNG).
        .systemLibrary(name: "CLibWebSockets", pkgConfig: "libwebsockets", providers: [.apt(["libwebsockets-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libcurl (OpenSSL flavour) for the on-call webhook: HTTPS with certificate checks, timeouts.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // libpq for the PostgreSQL storage backend (cluster mode): a Debian C library builds in seconds.
        .systemLibrary(name: "CPostgreSQL", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // hiredis for the cluster bus (Redis pub/sub between nodes): synchronous API, one connection per thread.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),

        // Pure domain: sessions, queue, routing, plans. No I/O; the clock is injected.
        .target(name: "ChatCore"),
        // SQLite through GRDB (the default) and PostgreSQL through libpq (cluster mode): migrations, writers, readers.
        .target(name: "ChatStorage", dependencies: [
            "ChatCore", "CPostgreSQL",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),   // SQLite's C API for the writer's hot insert
        ]),
        // Refuses unmasked client WebSocket frames, which lws 4.1.6 accepts (see its header).
        // Its SSL_read stands in for OpenSSL's, which lws calls by a versioned name: the linker exports it only when
        // told (recv, which it is also given, it exports by itself).
        .target(name: "CFrameGuard", dependencies: ["CLibWebSockets"],
                linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic-symbol=SSL_read"])]),
        // The only code that touches libwebsockets.
        .target(name: "ChatTransport", dependencies: [
            "CLibWebSockets", "CFrameGuard",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The application: wires transport events to the core and core effects to storage and transport.
        .target(name: "ChatService", dependencies: [
            "ChatCore", "ChatStorage", "ChatTransport", "COpenSSL", "CCurl", "CHiredis",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "chatd", dependencies: [
            "ChatService", "ChatCore", "ChatStorage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "ChatCoreTests", dependencies: ["ChatCore"]),
        .testTarget(name: "ChatStorageTests", dependencies: ["ChatStorage", "ChatCore"]),
        .testTarget(name: "ChatTransportTests", dependencies: ["ChatTransport", "CLibWebSockets", "CFrameGuard"]),
        .testTarget(name: "ChatServiceTests", dependencies: ["ChatService", "ChatCore", "ChatStorage"]),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzz targets (libFuzzer), one executable per fuzzer, declared only when Scripts/fuzz builds them
// (CHATD_FUZZ=1 swift build -Xswiftc -sanitize=fuzzer ...): their entry point is libFuzzer's main, so a plain
// `swift build` of chatd neither sees nor builds them. See Fuzz/README.md.
if ProcessInfo.processInfo.environment["CHATD_FUZZ"] == "1" {
    for fuzzer in ["WireDecodingFuzzer", "CustomerTokenFuzzer", "HTTPRouteFuzzer", "PolicyLoaderFuzzer", "ClusterWireFuzzer"] {
        package.targets.append(.executableTarget(
            name: fuzzer, dependencies: ["ChatService", "ChatCore", "ChatTransport"], path: "Fuzz/\(fuzzer)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    }
}
