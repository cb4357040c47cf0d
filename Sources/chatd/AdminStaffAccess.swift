import ArgumentParser
import ChatCore
import ChatService
import ChatStorage
import Foundation

/// `chatd admin disable-staff`: the account can no longer log in, its session tokens are deleted, and a running
/// server closes its WebSockets (4401) within about `revocationPollSeconds` (it polls the revocation log).
struct DisableStaff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable-staff",
        abstract: "Disable a staff account: no more logins, tokens revoked, open WebSockets closed (4401).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Login name.") var username: String

    func run() throws {
        let staff = try revokeSessions(common, username: username, disable: true)
        print("disabled \(staff.role.rawValue) \(staff.username) (id \(staff.id)); sessions revoked")
    }
}

/// `chatd admin revoke-sessions`: deletes the staff member's session tokens; a running server closes their
/// WebSockets (4401) within about `revocationPollSeconds`. The account may log in again.
struct RevokeSessions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke-sessions",
        abstract: "Revoke every session of a staff member: tokens deleted, open WebSockets closed (4401).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Login name.") var username: String

    func run() throws {
        let staff = try revokeSessions(common, username: username, disable: false)
        print("revoked every session of \(staff.role.rawValue) \(staff.username) (id \(staff.id))")
    }
}

/// Revokes a staff member's sessions (and disables the account when asked); the member, or a usage error.
private func revokeSessions(_ common: CommonOptions, username: String, disable: Bool) throws -> StaffIdentity {
    guard let staff = try openStore(try common.load()).revokeStaffSessions(username: username, disable: disable) else {
        throw ValidationError("No staff member \"\(username)\".")
    }
    return staff
}
