import ChatStorage
import Foundation

/// Which storage backend the server uses: `{"kind": "sqlite"}` (the default: `chat.sqlite` in the data directory)
/// or `{"kind": "postgres", "url": "postgresql://..."}` (cluster mode: every node on one PostgreSQL database).
public struct StorageSettings: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case sqlite, postgres }
    public var kind: Kind
    /// libpq connection URL (postgres only). `CHATD_POSTGRES_URL` in the environment overrides it, so that a
    /// password need not sit in the config file.
    public var url: String?

    public init(kind: Kind = .sqlite, url: String? = nil) {
        self.kind = kind
        self.url = url
    }

    public static let sqlite = StorageSettings()

    private enum CodingKeys: String, CodingKey { case kind, url }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .kind)
        guard let kind = Kind(rawValue: text) else {
            throw ConfigurationError("storage.kind: \"\(text)\" is not one of \"sqlite\", \"postgres\"")
        }
        self.kind = kind
        url = try c.decodeIfPresent(String.self, forKey: .url)
        if kind == .postgres, url == nil, ProcessInfo.processInfo.environment["CHATD_POSTGRES_URL"] == nil {
            throw ConfigurationError("storage.url (or CHATD_POSTGRES_URL) is required with storage.kind \"postgres\"")
        }
    }
}

extension ServerConfig {
    /// Opens (and migrates) the configured backend. Blocking; call at start-up or from the admin CLI.
    public func openStorage(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any StorageBackend {
        switch storage.kind {
        case .sqlite:
            return try ChatStore(path: ChatServer.databasePath(dataDirectory: dataDirectory),
                                 durability: durability == .full ? .full : .normal,
                                 walCheckpointPages: walCheckpointPages, eventIndexBatch: eventIndexBatch,
                                 eventIndexDelaySeconds: eventIndexDelaySeconds)
        case .postgres:
            guard let url = environment["CHATD_POSTGRES_URL"] ?? storage.url else {
                throw ConfigurationError("storage.url (or CHATD_POSTGRES_URL) is required with storage.kind \"postgres\"")
            }
            let attachments = URL(fileURLWithPath: dataDirectory).appendingPathComponent("attachments", isDirectory: true)
            return try PostgresBackend.open(url: url, attachmentsRoot: attachments)
        }
    }
}
