import Foundation
import Logging

/// `--log-format json`: one JSON object per line on standard error, with the same metadata keys as the text
/// format: `{"time", "level", "label", "message", "source", ...metadata}` (metadata values as strings, nested
/// metadata flattened with dots). Thread-safe: each line is built then written with one `write` under a lock.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let lock = NSLock()

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var fields: [(String, String)] = [
            ("time", Self.timestamp()), ("level", level.rawValue), ("label", label), ("message", message.description),
            ("source", source),
        ]
        var merged = metadata
        if let explicit { merged.merge(explicit) { _, new in new } }
        for (key, value) in Self.flatten(merged).sorted(by: { $0.0 < $1.0 }) where !["time", "level", "label", "message", "source"].contains(key) {
            fields.append((key, value))
        }
        var text = "{" + fields.map { "\(Self.quote($0.0)):\(Self.quote($0.1))" }.joined(separator: ",") + "}\n"
        Self.lock.lock()
        defer { Self.lock.unlock() }
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }

    static func flatten(_ metadata: Logger.Metadata, prefix: String = "") -> [(String, String)] {
        metadata.flatMap { key, value -> [(String, String)] in
            let name = prefix.isEmpty ? key : prefix + "." + key
            switch value {
            case .string(let text): return [(name, text)]
            case .stringConvertible(let value): return [(name, value.description)]
            case .array(let values): return [(name, "[" + values.map(\.description).joined(separator: ", ") + "]")]
            case .dictionary(let nested): return flatten(nested, prefix: name)
            }
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var time = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &time)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", time.tm_year + 1900, time.tm_mon + 1, time.tm_mday,
                      time.tm_hour, time.tm_min, time.tm_sec, Int(now.tv_nsec / 1_000_000))
    }
}
