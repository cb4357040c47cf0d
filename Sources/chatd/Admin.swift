import ArgumentParser
import ChatCore
import ChatService
import ChatStorage
import Foundation

/// `chatd admin ...`: manage organizations and staff in the data directory, print customer tokens.
/// Safe while the server runs (SQLite WAL; the server reads organizations and staff when they connect).
struct Admin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Administer organizations, staff and tokens.",
        subcommands: [CreateOrganization.self, SetPlan.self, SetRegion.self, CreateStaff.self, DisableStaff.self,
                      RevokeSessions.self, CustomerToken.self, ShowPolicy.self, Backup.self, Verify.self,
                      EraseContact.self, ExportContact.self, AuditLog.self])
}

func openStore(_ config: ServerConfig) throws -> any StorageBackend {
    try config.openStorage()
}

/// The SQLite store, for the commands that work on the database file itself (backup, verify).
func openSQLiteStore(_ config: ServerConfig, for command: String) throws -> ChatStore {
    guard let store = try openStore(config) as? ChatStore else {
        throw ValidationError("\(command) works on the embedded SQLite database; for PostgreSQL use its own tools (pg_dump, pg_basebackup).")
    }
    return store
}

struct CreateOrganization: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-org", abstract: "Create an organization with a plan.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Organization id (as the host admin panel names it).") var id: String
    @Option(help: "Display name.") var name: String
    @Option(help: "Plan id from the policy (e.g. basic, business, hv, enterprise).") var plan: String
    @Option(help: "Support region id from the policy (e.g. usa, spain). Default: the policy's defaultRegion.")
    var region: String?

    func run() throws {
        let config = try common.load()
        let policy = try PolicyLoader.load(path: config.policyFile)
        guard policy.plan(plan) != nil else {
            throw ValidationError("Unknown plan \"\(plan)\". Plans: \(policy.plans.map(\.id).joined(separator: ", ")).")
        }
        let regionID = region ?? policy.defaultRegion
        try validateRegion(regionID, policy)
        try openStore(config).createOrganization(id: id, name: name, planID: plan, regionID: regionID)
        print("created organization \(id) (\(name)) on plan \(plan) in region \(regionID)")
    }
}

struct SetPlan: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-plan", abstract: "Change an organization's plan.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Organization id.") var id: String
    @Option(help: "Plan id from the policy.") var plan: String

    func run() throws {
        let config = try common.load()
        let policy = try PolicyLoader.load(path: config.policyFile)
        guard policy.plan(plan) != nil else { throw ValidationError("Unknown plan \"\(plan)\".") }
        try openStore(config).setOrganizationPlan(id: id, planID: plan)
        print("organization \(id) is now on plan \(plan)")
    }
}

struct SetRegion: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-region",
                                                    abstract: "Change an organization's support region (hours, holidays, SLA clock).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Organization id.") var id: String
    @Option(help: "Support region id from the policy (e.g. usa, spain).") var region: String

    func run() throws {
        let config = try common.load()
        let policy = try PolicyLoader.load(path: config.policyFile)
        try validateRegion(region, policy)
        try openStore(config).setOrganizationRegion(id: id, regionID: region)
        print("organization \(id) is now in region \(region)")
    }
}

func validateRegion(_ id: String, _ policy: SupportPolicy) throws {
    guard policy.region(id) != nil else {
        throw ValidationError("Unknown region \"\(id)\". Regions: \(policy.regions.map(\.id).joined(separator: ", ")).")
    }
}

struct CreateStaff: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-staff", abstract: "Create an agent or supervisor account.")
    @OptionGroup var common: CommonOptions
    @Option(help: "Login name.") var username: String
    @Option(help: "Display name.") var name: String
    @Option(help: "agent or supervisor.") var role: String = "agent"
    @Option(help: "Password (or use --password-stdin).") var password: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false

    func run() throws {
        let config = try common.load()
        guard let staffRole = StaffRole(rawValue: role) else { throw ValidationError("Role must be agent or supervisor.") }
        let secret = passwordStdin ? readLine(strippingNewline: true) : password
        guard let secret, secret.count >= 8 else { throw ValidationError("A password of at least 8 characters is required.") }
        let hash = PasswordHasher(iterations: config.passwordIterations).hash(secret)
        let identity = try openStore(config).createStaff(username: username, name: name, role: staffRole, passwordHash: hash)
        print("created \(identity.role.rawValue) \(identity.username) (id \(identity.id))")
    }
}

struct CustomerToken: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "customer-token",
                                                    abstract: "Print a signed customer token (as the host admin panel would make).")
    @OptionGroup var common: CommonOptions
    @Option(help: "Organization id.") var org: String
    @Option(help: "Contact id.") var contact: String
    @Option(help: "Contact name.") var name: String
    @Option(help: "Contact email.") var email: String
    @Option(help: "Lifetime in seconds.") var ttl: Double = 3600

    func run() throws {
        let config = try common.load()
        guard ttl <= config.customerTokenMaxLifetimeSeconds else {
            throw ValidationError("--ttl \(ttl) is longer than customerTokenMaxLifetimeSeconds (\(config.customerTokenMaxLifetimeSeconds)); the server would refuse the token.")
        }
        let secret = try DeploymentSecret.load(dataDirectory: config.dataDirectory)
        let now = Date()
        let token = CustomerTokenSigner(secret: secret).sign(
            CustomerIdentity(organizationID: org, contactID: contact, name: name, email: email),
            issuedAt: now, expiresAt: now.addingTimeInterval(ttl))
        print(token)
    }
}

struct ShowPolicy: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show-policy", abstract: "Print the policy in force as JSON.")
    @OptionGroup var common: CommonOptions

    func run() throws {
        let config = try common.load()
        if config.policyFile == nil {
            print(PolicyLoader.defaultPolicyJSON())
        } else {
            let policy = try PolicyLoader.load(path: config.policyFile)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(policy), as: UTF8.self))
        }
    }
}
