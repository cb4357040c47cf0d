import ArgumentParser

@main
struct Chatd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatd",
        abstract: "Live-chat server for software support desks.",
        subcommands: [Serve.self, Admin.self],
        defaultSubcommand: Serve.self)
}
