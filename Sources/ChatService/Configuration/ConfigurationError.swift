import Foundation

/// A problem with the server's configuration, policy file or deployment secret, explained in one sentence
/// that names the file, key or entry at fault. Thrown at start-up; fatal for the server.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension ConfigurationError {
    /// Turns a `DecodingError` into a sentence naming the key path, e.g. `plans[2].rank: expected Int`.
    static func describing(_ error: any Error, in file: String) -> ConfigurationError {
        if let error = error as? ConfigurationError {
            return ConfigurationError("\(file): \(error.message)")
        }
        guard let decoding = error as? DecodingError else {
            return ConfigurationError("\(file): \(error.localizedDescription)")
        }
        switch decoding {
        case .typeMismatch(let type, let context):
            return ConfigurationError("\(file): \(path(context.codingPath)): expected a value of type \(type)")
        case .valueNotFound(let type, let context):
            return ConfigurationError("\(file): \(path(context.codingPath)): expected a value of type \(type), found null")
        case .keyNotFound(let key, let context):
            return ConfigurationError("\(file): \(path(context.codingPath + [key])): required key is missing")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return ConfigurationError("\(file): not valid JSON (\(context.debugDescription))")
            }
            return ConfigurationError("\(file): \(path(context.codingPath)): \(context.debugDescription)")
        @unknown default:
            return ConfigurationError("\(file): \(decoding)")
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out.isEmpty ? "(top level)" : out
    }
}
