import ArgumentParser
import ChatService
import Foundation

/// Options shared by `serve` and the admin commands: where the configuration and the data live.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "A JSON configuration file (every key optional; see README).")
    var config: String?

    @Option(name: .long, help: "Data directory (database, deployment secret). Default ./data")
    var data: String?

    func load() throws -> ServerConfig {
        var settings = try config.map { try ServerConfig.load(path: $0) } ?? ServerConfig()
        if let data { settings.dataDirectory = data }
        settings.dataDirectory = absolute(settings.dataDirectory)
        return settings
    }
}

func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    let joined = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    return (joined as NSString).standardizingPath
}
