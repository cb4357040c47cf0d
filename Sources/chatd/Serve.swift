import ArgumentParser
import ChatCore
import ChatService
import Dispatch
import Foundation
import Logging

/// `chatd serve`: run the server until SIGINT/SIGTERM.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve WebSocket chat, the HTTP API and the WebClient.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port (default 8080; 0 picks a free port and logs it).")
    var port: Int?

    @Option(name: .customLong("web-root"), help: "Folder served at / (default ./WebClient when present).")
    var webRoot: String?

    @Option(name: .customLong("clock-speed"), help: "Run the domain clock this many times faster (demos and tests).")
    var clockSpeed: Double?

    @Option(name: .customLong("clock-start"), help: "Start the domain clock at this ISO 8601 instant, e.g. 2026-11-21T18:00:00Z or 2026-11-21T18:00:00.250Z (demos and tests; a restart continues it).")
    var clockStart: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("log-format"), help: "text (default) or json: one JSON object per line on standard error.")
    var logFormat: String = "text"

    func run() throws {
        var config = try common.load()
        if let host { config.host = host }
        if let port { config.port = port }
        if let clockSpeed { config.clockSpeed = clockSpeed }
        if let clockStart { config.clockStart = clockStart }
        if let webRoot { config.webRoot = absolute(webRoot) }
        if config.webRoot == nil {
            let candidate = absolute("WebClient")
            if FileManager.default.fileExists(atPath: (candidate as NSString).appendingPathComponent("index.html")) {
                config.webRoot = candidate
            }
        }
        try config.validate()

        guard ["text", "json"].contains(logFormat) else {
            throw ValidationError("--log-format must be text or json.")
        }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "chatd")
        let policy = try PolicyLoader.load(path: config.policyFile)
        // A demo/test clock continues across restarts (DATA/clock.json) instead of going back to clockStart.
        let resolution = try ClockAnchor.resolve(config)
        let clock = resolution.clock
        if let warning = resolution.warning { logger.warning("\(warning)") }

        raiseOpenFileLimit(logger: logger)
        if config.cluster != nil {
            let runner = try ClusterRunner(config: config, policy: policy, clock: clock, logger: logger)
            let stopper = SignalStopper(stop: { runner.requestStop() }, reload: { runner.reloadTLSCertificate() })
            var announced = false
            try runner.run { port, role in
                guard !announced else { return }
                announced = true
                FileHandle.standardOutput.write(Data("chatd listening on \(config.tlsCertificate == nil ? "http" : "https")://\(config.host):\(port)\n".utf8))
            }
            _ = stopper
            return
        }
        let server = try ChatServer(config: config, policy: policy, clock: clock, logger: logger)
        let port = try server.start()
        logger.notice("listening", metadata: [
            "http.host": "\(config.host)", "http.port": "\(port)", "chat.data": "\(config.dataDirectory)",
            "chat.web_root": "\(config.webRoot ?? "none")", "chat.clock_speed": "\(config.clockSpeed)",
            "chat.clock_now": "\(ISOTime.format(clock.now()))", "chat.clock_resumed": "\(resolution.resumed)"])
        // A line scripts and tests can wait for.
        FileHandle.standardOutput.write(Data("chatd listening on \(server.isTLS ? "https" : "http")://\(config.host):\(port)\n".utf8))

        let stopper = SignalStopper(stop: { server.requestStop() }, reload: { server.reloadTLSCertificate() })
        server.run()
        _ = stopper
    }
}

/// Turns SIGINT/SIGTERM into a graceful stop and SIGHUP into a TLS certificate reload. The handlers run on a
/// Dispatch queue, never in signal context.
final class SignalStopper {
    private let sources: [any DispatchSourceSignal]

    init(stop: @escaping @Sendable () -> Void, reload: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { number == SIGHUP ? reload() : stop() }
            source.resume()
            return source
        }
    }
}
