import Foundation
@testable import ChatCore

/// One random step of the model run. Payloads are raw random numbers, interpreted against the world's state when
/// the step runs (`pick % count`), so any sub-list of steps still replays: that is what makes shrinking work.
enum ModelStep: CustomStringConvertible {
    case connect(actor: Int)
    case disconnect(pick: UInt64)
    case requestChat(actor: Int, pick: UInt64)
    case send(pick: UInt64, session: UInt64, clientID: UInt64)
    case sync(pick: UInt64, session: UInt64, after: UInt64)
    case setStatus(pick: UInt64, status: UInt64)
    case take(pick: UInt64, session: UInt64)
    case transfer(pick: UInt64, session: UInt64, target: UInt64)
    case close(pick: UInt64, session: UInt64)
    case respondOffer(pick: UInt64, session: UInt64, accept: Bool)
    case continueChat(pick: UInt64, session: UInt64)
    case convert(pick: UInt64, session: UInt64)
    case proposeServices(pick: UInt64, session: UInt64)
    case respondServices(pick: UInt64, session: UInt64, accept: Bool)
    case typingOrRead(pick: UInt64, session: UInt64)
    case commit(count: UInt64)
    case doomWrite(pick: UInt64)
    case answerIO(pick: UInt64, fail: Bool)
    case advance(seconds: Double)
    case restart

    var description: String {
        switch self {
        case .connect(let actor): return "connect(\(ModelActors.all[actor].name))"
        case .disconnect(let pick): return "disconnect(#\(pick % 97))"
        case let .requestChat(actor, pick): return "requestChat(\(ModelActors.all[actor].name), r-\(pick % 3))"
        case let .send(pick, session, clientID): return "send(#\(pick % 97), s\(session % 7), \(ModelActors.clientIDs[Int(clientID % UInt64(ModelActors.clientIDs.count))]))"
        case let .sync(pick, session, after): return "sync(#\(pick % 97), s\(session % 7), after \(after % 9))"
        case let .setStatus(pick, status): return "setStatus(#\(pick % 97), \(ModelActors.statuses[Int(status % 3)]))"
        case let .take(pick, session): return "take(#\(pick % 97), s\(session % 7))"
        case let .transfer(pick, session, target): return "transfer(#\(pick % 97), s\(session % 7), to \(ModelActors.staffIDs[Int(target % 5)]))"
        case let .close(pick, session): return "close(#\(pick % 97), s\(session % 7))"
        case let .respondOffer(pick, session, accept): return "respondOffer(#\(pick % 97), s\(session % 7), \(accept))"
        case let .continueChat(pick, session): return "continue(#\(pick % 97), s\(session % 7))"
        case let .convert(pick, session): return "convert(#\(pick % 97), s\(session % 7))"
        case let .proposeServices(pick, session): return "propose(#\(pick % 97), s\(session % 7))"
        case let .respondServices(pick, session, accept): return "respondServices(#\(pick % 97), s\(session % 7), \(accept))"
        case let .typingOrRead(pick, session): return "typingOrRead(#\(pick % 97), s\(session % 7))"
        case .commit(let count): return "commit(\(count % 6))"
        case .doomWrite(let pick): return "doomWrite(\(pick % 97))"
        case let .answerIO(pick, fail): return "answerIO(\(pick % 97)\(fail ? ", fail" : ""))"
        case .advance(let seconds): return "advance(\(Int(seconds)) s)"
        case .restart: return "restart"
        }
    }

    /// A step list for a seed: commits and I/O answers are frequent so that most traffic completes.
    static func generate(seed: UInt64, count: Int) -> [ModelStep] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let roll = rng.next() % 100
            let a = rng.next(), b = rng.next(), c = rng.next()
            switch roll {
            case 0..<7: return .connect(actor: Int(a % UInt64(ModelActors.all.count)))
            case 7..<9: return .disconnect(pick: a)
            case 9..<15: return .requestChat(actor: Int(a % UInt64(ModelActors.customers.count)), pick: b)
            case 15..<29: return .send(pick: a, session: b, clientID: c)
            case 29..<33: return .sync(pick: a, session: b, after: c)
            case 33..<37: return .setStatus(pick: a, status: b)
            case 37..<40: return .take(pick: a, session: b)
            case 40..<43: return .transfer(pick: a, session: b, target: c)
            case 43..<45: return .close(pick: a, session: b)
            case 45..<47: return .respondOffer(pick: a, session: b, accept: c % 2 == 0)
            case 47..<48: return .continueChat(pick: a, session: b)
            case 48..<49: return .convert(pick: a, session: b)
            case 49..<50: return .proposeServices(pick: a, session: b)
            case 50..<51: return .respondServices(pick: a, session: b, accept: c % 2 == 0)
            case 51..<53: return .typingOrRead(pick: a, session: b)
            case 53..<71: return .commit(count: a)
            case 71..<72: return .doomWrite(pick: a)
            case 72..<86: return .answerIO(pick: a, fail: b % 23 == 0)
            case 86..<98:
                // Mostly seconds; sometimes past a grace period, a budget warning, a long wait or closing time.
                let jump: Double = [1, 5, 20, 65, 200, 400, 900, 3600 * 3][Int(a % 8)]
                return .advance(seconds: jump)
            default: return .restart
            }
        }
    }
}

/// The cast: customers of two organizations (one with ids that look like staff ids or contain separators, to
/// catch keys built by joining strings), three agents, a supervisor.
enum ModelActors {
    struct Actor {
        var name: String
        var principal: Principal
    }

    static let acme = OrganizationRecord(id: "acme", name: "Acme", planID: "hv", authorizedContacts: [])
    static let globex = OrganizationRecord(id: "globex", name: "Globex", planID: "hv", authorizedContacts: [], regionID: "spain")
    static let organizations = [acme, globex]

    static let customers: [Actor] = [
        Actor(name: "acme/1", principal: .customer(CustomerIdentity(organizationID: "acme", contactID: "1", name: "One", email: "1@acme"))),
        Actor(name: "acme/x|y", principal: .customer(CustomerIdentity(organizationID: "acme", contactID: "x|y", name: "XY", email: "xy@acme"))),
        Actor(name: "acme/x", principal: .customer(CustomerIdentity(organizationID: "acme", contactID: "x", name: "X", email: "x@acme"))),
        Actor(name: "globex/1", principal: .customer(CustomerIdentity(organizationID: "globex", contactID: "1", name: "G1", email: "1@globex"))),
    ]
    static let staff: [StaffIdentity] = [
        StaffIdentity(id: 1, username: "a1", name: "Ann", role: .agent),
        StaffIdentity(id: 2, username: "a2", name: "Bob", role: .agent),
        StaffIdentity(id: 3, username: "a3", name: "Cid", role: .agent),
        StaffIdentity(id: 9, username: "s9", name: "Sue", role: .supervisor),
    ]
    static let all: [Actor] = customers + staff.map { Actor(name: $0.username, principal: .staff($0)) }
    static let staffIDs: [StaffID] = [1, 2, 3, 9, 42]
    static let statuses: [AgentStatus] = [.available, .away, .offline]
    /// Shared by every author, so that ids collide across authors; "y|m-1" from contact "x" against "m-1" from
    /// contact "x|y" catches keys built by joining with "|".
    static let clientIDs = ["m-1", "m-2", "m-3", "y|m-1", "r-0"]
}

/// A small, fast, seedable generator (the runs must replay exactly).
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
