import ArgumentParser
import ChatService
import ChatStorage
import Foundation

/// `chatd admin backup --to FILE`: a consistent online copy of the database while the server runs.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database, consistently, to a new file (safe while the server runs).",
        discussion: """
            To restore: stop the server (or use a new data directory), put the copy at DATA/chat.sqlite \
            (remove any chat.sqlite-wal and chat.sqlite-shm there), and start the server; it recovers open chats \
            from it. Everything acknowledged before the copy started is in it.
            """)
    @OptionGroup var common: CommonOptions
    @Option(help: "The new file to write (must not exist).") var to: String

    func run() throws {
        let config = try common.load()
        let started = Date()
        try openSQLiteStore(config, for: "backup").backup(to: to)
        let size = (try? FileManager.default.attributesOfItem(atPath: to)[.size] as? Int) ?? 0
        print("backed up to \(to) (\(size / 1024) KiB in \(String(format: "%.2f", Date().timeIntervalSince(started))) s)")
    }
}

/// `chatd admin verify`: SQLite's integrity and foreign key checks, and the event index's.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the database's integrity (exit status 1 on any problem).")
    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try common.load()
        let problems = try openSQLiteStore(config, for: "verify").verify()
        if problems.isEmpty {
            print("ok")
            return
        }
        for problem in problems { print(problem) }
        throw ExitCode(1)
    }
}
