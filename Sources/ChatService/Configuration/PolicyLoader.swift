import ChatCore
import Foundation

/// Loads and validates the support policy (plans and products) from a JSON file.
///
/// Stateless; safe from any thread. `load` does blocking file I/O: call it at start-up.
public enum PolicyLoader {
    private static let topKeys: Set<String> = ["plans", "products", "chat", "regions", "defaultRegion", "severities", "retention",
                                                  "serviceRates", "ticketTransitions"]
    private static let planKeys: Set<String> = ["id", "name", "rank", "liveChat", "authorizedContacts"]
    private static let productKeys: Set<String> = ["id", "name", "chatOffered"]

    /// The policy in the file at `path`, or `SupportPolicy.defaults` when `path` is nil.
    /// Throws `ConfigurationError` naming the file and the offending key or entry.
    public static func load(path: String?) throws -> SupportPolicy {
        guard let path else { return .defaults }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read policy file \(path)")
        }
        return try decode(data, source: path)
    }

    /// Decodes and validates a policy from JSON. `source` names it in error messages.
    /// Unknown keys are rejected so typos are caught. Safe from any thread; fast.
    public static func decode(_ data: Data, source: String = "policy") throws -> SupportPolicy {
        let policy: SupportPolicy
        do {
            try rejectUnknownKeys(data)
            policy = try JSONDecoder().decode(SupportPolicy.self, from: data)
            try validate(policy)
        } catch {
            throw ConfigurationError.describing(error, in: source)
        }
        return policy
    }

    /// Checks the rules the engine relies on: at least one plan and one product; non-empty, unique plan
    /// ids and product ids; unique ranks; `authorizedContacts >= 1`. Throws `ConfigurationError` naming
    /// the entry. Safe from any thread; fast.
    public static func validate(_ policy: SupportPolicy) throws {
        guard !policy.plans.isEmpty else { throw ConfigurationError("plans: at least one plan is required") }
        guard !policy.products.isEmpty else { throw ConfigurationError("products: at least one product is required") }
        var planIDs = Set<String>()
        var ranks = [Int: String]()
        for (index, plan) in policy.plans.enumerated() {
            let entry = "plans[\(index)] (\"\(plan.id)\")"
            guard !plan.id.isEmpty else { throw ConfigurationError("plans[\(index)]: id must not be empty") }
            guard planIDs.insert(plan.id).inserted else {
                throw ConfigurationError("\(entry): duplicate plan id \"\(plan.id)\"")
            }
            if let other = ranks[plan.rank] {
                throw ConfigurationError("\(entry): rank \(plan.rank) is already used by plan \"\(other)\"")
            }
            ranks[plan.rank] = plan.id
            guard plan.authorizedContacts >= 1 else {
                throw ConfigurationError("\(entry): authorizedContacts must be >= 1, found \(plan.authorizedContacts)")
            }
        }
        var productIDs = Set<String>()
        for (index, product) in policy.products.enumerated() {
            guard !product.id.isEmpty else { throw ConfigurationError("products[\(index)]: id must not be empty") }
            guard productIDs.insert(product.id).inserted else {
                throw ConfigurationError("products[\(index)] (\"\(product.id)\"): duplicate product id \"\(product.id)\"")
            }
        }
        try validateSupportSections(policy)
    }

    /// Checks the issue-3 sections: the default region exists; region ids are unique with valid IANA time zones
    /// and weekdays 1-7; severity levels are unique; rate ids are unique; each status has one transition entry.
    static func validateSupportSections(_ policy: SupportPolicy) throws {
        var regionIDs = Set<String>()
        for (index, region) in policy.regions.enumerated() {
            let entry = "regions[\(index)] (\"\(region.id)\")"
            guard !region.id.isEmpty, regionIDs.insert(region.id).inserted else {
                throw ConfigurationError("\(entry): region ids must be non-empty and unique")
            }
            guard TimeZone(identifier: region.timeZone) != nil else {
                throw ConfigurationError("\(entry): unknown time zone \"\(region.timeZone)\"")
            }
            for hours in region.hours where !(1...7).contains(hours.weekday) {
                throw ConfigurationError("\(entry): weekday must be 1 (Monday) to 7 (Sunday), found \(hours.weekday)")
            }
        }
        guard regionIDs.contains(policy.defaultRegion) else {
            throw ConfigurationError("defaultRegion \"\(policy.defaultRegion)\" is not among regions")
        }
        var levels = Set<Int>()
        for severity in policy.severities where !levels.insert(severity.level).inserted || severity.firstResponseBusinessHours <= 0 {
            throw ConfigurationError("severities: level \(severity.level) is duplicated or has no positive target")
        }
        var rates = Set<String>()
        for rate in policy.serviceRates where !rates.insert(rate.id).inserted || rate.hourlyRate < 0 {
            throw ConfigurationError("serviceRates: \"\(rate.id)\" is duplicated or negative")
        }
        var statuses = Set<TicketStatus>()
        for transition in policy.ticketTransitions where !statuses.insert(transition.from).inserted {
            throw ConfigurationError("ticketTransitions: \"\(transition.from.rawValue)\" is listed twice")
        }
        guard policy.chat.quickQuestionMinutes > 0, policy.chat.warningMinutesLeft >= 0,
              policy.chat.warningMinutesLeft < policy.chat.quickQuestionMinutes else {
            throw ConfigurationError("chat: quickQuestionMinutes must be > 0 and warningMinutesLeft below it")
        }
        for (name, days) in [("closedChatDays", policy.retention.closedChatDays),
                             ("closedTicketDays", policy.retention.closedTicketDays)] {
            if let days, days < 1 || days > 36_500 {
                throw ConfigurationError("retention: \(name) must be between 1 and 36500 days (leave it out to keep forever)")
            }
        }
        guard policy.chat.maxAttachmentBytes >= 1024, policy.chat.maxAttachmentBytes <= 1 << 30 else {
            throw ConfigurationError("chat: maxAttachmentBytes must be between 1024 and 1073741824")
        }
        guard policy.chat.maxQueueMinutes >= 0, policy.chat.maxQueueMinutes.isFinite else {
            throw ConfigurationError("chat: maxQueueMinutes must be >= 0 (0 disables the long-wait offer)")
        }
    }

    /// The shipped defaults as pretty-printed JSON, a valid policy file to start from.
    /// Safe from any thread; fast.
    public static func defaultPolicyJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings, integers and booleans cannot fail.
        let data = try! encoder.encode(SupportPolicy.defaults)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func rejectUnknownKeys(_ data: Data) throws {
        // Shape errors (not JSON, wrong types) are left to JSONDecoder, which names the key path.
        guard let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        try check(top, allowed: topKeys, at: "")
        for (listKey, allowed) in [("plans", planKeys), ("products", productKeys)] {
            guard let list = top[listKey] as? [Any] else { continue }
            for (index, item) in list.enumerated() {
                if let object = item as? [String: Any] {
                    try check(object, allowed: allowed, at: "\(listKey)[\(index)]")
                }
            }
        }
    }

    private static func check(_ object: [String: Any], allowed: Set<String>, at path: String) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            let location = path.isEmpty ? "" : "\(path): "
            throw ConfigurationError("\(location)unknown key \"\(unknown)\"; known keys: \(allowed.sorted().joined(separator: ", "))")
        }
    }
}
