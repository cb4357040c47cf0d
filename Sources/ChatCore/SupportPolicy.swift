import Foundation

/// The vendor's support policy as data: plan tiers and products.
/// Loaded from a JSON policy file; `SupportPolicy.defaults` follows the seeds.
public struct SupportPolicy: Sendable, Equatable, Codable {
    public var plans: [PlanTier]
    public var products: [Product]

    public init(plans: [PlanTier], products: [Product]) {
        self.plans = plans
        self.products = products
    }

    public func plan(_ id: String) -> PlanTier? { plans.first { $0.id == id } }
    public func product(_ id: String) -> Product? { products.first { $0.id == id } }
}

/// A plan tier. `rank` orders tiers (higher is more support).
public struct PlanTier: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var rank: Int
    /// Whether live chat is part of this plan.
    public var liveChat: Bool
    /// How many distinct contacts of an organization may use support.
    public var authorizedContacts: Int

    public init(id: String, name: String, rank: Int, liveChat: Bool, authorizedContacts: Int) {
        self.id = id
        self.name = name
        self.rank = rank
        self.liveChat = liveChat
        self.authorizedContacts = authorizedContacts
    }
}

/// A product the vendor supports.
public struct Product: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// Whether live chat is offered for questions about this product.
    public var chatOffered: Bool

    public init(id: String, name: String, chatOffered: Bool) {
        self.id = id
        self.name = name
        self.chatOffered = chatOffered
    }
}

extension SupportPolicy {
    /// Shipped defaults, from the vendor's policies in the seeds: live chat for HV and above,
    /// for Pressero and eDocBuilder only; authorized contacts grow with the plan.
    public static let defaults = SupportPolicy(
        plans: [
            PlanTier(id: "basic", name: "Basic", rank: 1, liveChat: false, authorizedContacts: 2),
            PlanTier(id: "business", name: "Business", rank: 2, liveChat: false, authorizedContacts: 5),
            PlanTier(id: "hv", name: "HV", rank: 3, liveChat: true, authorizedContacts: 10),
            PlanTier(id: "enterprise", name: "Enterprise", rank: 4, liveChat: true, authorizedContacts: 15),
        ],
        products: [
            Product(id: "pressero", name: "Pressero", chatOffered: true),
            Product(id: "edocbuilder", name: "eDocBuilder", chatOffered: true),
            Product(id: "pjm", name: "PJM", chatOffered: false),
            Product(id: "tflow", name: "tFlow", chatOffered: false),
        ]
    )
}
