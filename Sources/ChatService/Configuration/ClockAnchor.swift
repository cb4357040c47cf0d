import ChatCore
import Foundation

/// Where a demo or test domain clock (`clockStart` and/or `clockSpeed`) stands, kept in the data directory
/// (`DATA/clock.json`) so that a restart continues the domain clock instead of putting it back to `clockStart`:
/// otherwise events stored after a restart would carry earlier times than the ones stored before it.
///
/// The anchor pairs a real instant with the domain instant it stood for. It is reused while the configured
/// `clockStart` and `clockSpeed` stay the same; changing either starts a new anchor (the operator asked for
/// another time). A plain value; `resolve` does blocking file I/O (start-up only) and is safe from any thread.
public struct ClockAnchor: Codable, Equatable, Sendable {
    /// The configured `clockStart` (nil: the clock started at the real time it was first run).
    public var clockStart: String?
    public var clockSpeed: Double
    /// The real instant the anchored clock was first started.
    public var realOrigin: Date
    /// The domain instant at `realOrigin`.
    public var domainOrigin: Date

    public static let fileName = "clock.json"

    /// The domain instant at real instant `real`.
    public func domainTime(atReal real: Date) -> Date {
        domainOrigin.addingTimeInterval(real.timeIntervalSince(realOrigin) * clockSpeed)
    }

    /// The clock a configuration asks for, and what happened to the anchor.
    public struct Resolution: Sendable {
        public var clock: any WallClock
        /// True when the clock continues an anchor stored by an earlier run.
        public var resumed: Bool
        /// A sentence for the log when the new anchor moves the domain clock back from where the stored one stood.
        public var warning: String?
    }

    /// The domain clock for `config`: real time when neither `clockStart` nor `clockSpeed` is set; otherwise the
    /// anchored clock, continued from `DATA/clock.json` when it was made with the same settings, else a new
    /// anchor (written there). Throws `ConfigurationError` when the file cannot be written.
    public static func resolve(_ config: ServerConfig, now real: Date = Date()) throws -> Resolution {
        let start = config.clockStart.flatMap(ISOTime.parseInstant)
        if config.clockSpeed == 1 && start == nil { return Resolution(clock: SystemClock(), resumed: false) }
        let path = (config.dataDirectory as NSString).appendingPathComponent(fileName)
        let stored = read(path)
        if let stored, stored.clockStart == config.clockStart, stored.clockSpeed == config.clockSpeed,
           stored.realOrigin <= real {
            return Resolution(clock: stored.clock, resumed: true)
        }
        let anchor = ClockAnchor(clockStart: config.clockStart, clockSpeed: config.clockSpeed, realOrigin: real,
                                 domainOrigin: start ?? real)
        try anchor.write(to: path, dataDirectory: config.dataDirectory)
        var warning: String?
        let before = stored?.domainTime(atReal: real)
        if let before, anchor.domainOrigin < before {
            warning = "the domain clock moves back from \(ISOTime.format(before)) to \(ISOTime.format(anchor.domainOrigin)) "
                + "because clockStart or clockSpeed changed: events stored from now on carry earlier times than earlier ones"
        }
        return Resolution(clock: anchor.clock, resumed: false, warning: warning)
    }

    var clock: AcceleratedClock {
        AcceleratedClock(speed: clockSpeed, start: domainOrigin, origin: realOrigin)
    }

    private static func read(_ path: String) -> ClockAnchor? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISOTime.parseInstant(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an instant"))
            }
            return date
        }
        // An unreadable anchor is replaced by a new one (it only ever affects demo and test clocks).
        return try? decoder.decode(ClockAnchor.self, from: data)
    }

    private func write(to path: String, dataDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISOTime.format(date))
        }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ConfigurationError("cannot write the clock anchor \(path): \(error.localizedDescription)")
        }
    }
}
