import Foundation

/// The vendor's support policy as data: plans, products, the chat budget, regions with hours and holidays,
/// severity targets, professional-services rates and the ticket workflow.
/// Loaded from a JSON policy file; every section but `plans` and `products` may be left out and then takes
/// the default. `SupportPolicy.defaults` follows the seeds.
public struct SupportPolicy: Sendable, Equatable, Codable {
    public var plans: [PlanTier]
    public var products: [Product]
    public var chat: ChatBudgetPolicy
    public var regions: [SupportRegion]
    /// The region of organizations created without one.
    public var defaultRegion: String
    public var severities: [SeverityLevel]
    public var serviceRates: [ServiceRate]
    public var ticketTransitions: [TicketTransition]
    /// How long closed chats and closed tickets are kept; nil days: forever (the default).
    public var retention: RetentionPolicy

    public init(plans: [PlanTier], products: [Product], chat: ChatBudgetPolicy = ChatBudgetPolicy(),
                regions: [SupportRegion] = SupportPolicy.defaultRegions, defaultRegion: String = "usa",
                severities: [SeverityLevel] = SupportPolicy.defaultSeverities,
                serviceRates: [ServiceRate] = SupportPolicy.defaultServiceRates,
                ticketTransitions: [TicketTransition] = SupportPolicy.defaultTicketTransitions,
                retention: RetentionPolicy = RetentionPolicy()) {
        self.plans = plans
        self.products = products
        self.chat = chat
        self.regions = regions
        self.defaultRegion = defaultRegion
        self.severities = severities
        self.serviceRates = serviceRates
        self.ticketTransitions = ticketTransitions
        self.retention = retention
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case plans, products, chat, regions, defaultRegion, severities, serviceRates, ticketTransitions, retention
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            plans: try c.decode([PlanTier].self, forKey: .plans),
            products: try c.decode([Product].self, forKey: .products),
            chat: try c.decodeIfPresent(ChatBudgetPolicy.self, forKey: .chat) ?? ChatBudgetPolicy(),
            regions: try c.decodeIfPresent([SupportRegion].self, forKey: .regions) ?? SupportPolicy.defaultRegions,
            defaultRegion: try c.decodeIfPresent(String.self, forKey: .defaultRegion) ?? "usa",
            severities: try c.decodeIfPresent([SeverityLevel].self, forKey: .severities) ?? SupportPolicy.defaultSeverities,
            serviceRates: try c.decodeIfPresent([ServiceRate].self, forKey: .serviceRates) ?? SupportPolicy.defaultServiceRates,
            ticketTransitions: try c.decodeIfPresent([TicketTransition].self, forKey: .ticketTransitions)
                ?? SupportPolicy.defaultTicketTransitions,
            retention: try c.decodeIfPresent(RetentionPolicy.self, forKey: .retention) ?? RetentionPolicy())
    }

    public func plan(_ id: String) -> PlanTier? { plans.first { $0.id == id } }
    public func product(_ id: String) -> Product? { products.first { $0.id == id } }
    public func region(_ id: String) -> SupportRegion? { regions.first { $0.id == id } }
    public func severity(_ level: Int) -> SeverityLevel? { severities.first { $0.level == level } }
    public func serviceRate(_ id: String) -> ServiceRate? { serviceRates.first { $0.id == id } }

    /// Whether the workflow allows moving a ticket from one status to another.
    public func allowsTransition(from: TicketStatus, to: TicketStatus) -> Bool {
        ticketTransitions.first { $0.from == from }?.to.contains(to) ?? false
    }
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

/// Retention: closed chats (with their events, search entries and ratings) are deleted `closedChatDays` after
/// they closed, closed tickets (with their history) `closedTicketDays` after their last change. Nil: kept forever.
public struct RetentionPolicy: Sendable, Equatable, Codable {
    public var closedChatDays: Int?
    public var closedTicketDays: Int?

    public init(closedChatDays: Int? = nil, closedTicketDays: Int? = nil) {
        self.closedChatDays = closedChatDays
        self.closedTicketDays = closedTicketDays
    }
}
