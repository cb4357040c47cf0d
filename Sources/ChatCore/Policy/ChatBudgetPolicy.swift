/// The quick-question rule for live chat: a budget per chat, a warning before it ends.
public struct ChatBudgetPolicy: Sendable, Equatable, Codable {
    /// Minutes of agent time per chat, counted from the first agent joining; queue time does not count.
    public var quickQuestionMinutes: Double
    /// Both sides are warned when this many minutes are left.
    public var warningMinutesLeft: Double
    /// Whether chats may be routed to agents outside the organization's region's support hours.
    public var routeOutsideHours: Bool
    /// A customer waiting in the queue this long is offered a ticket (keep waiting or convert); supervisors see a
    /// long-wait alert. 0 disables the offer.
    public var maxQueueMinutes: Double
    /// The largest file a customer or agent may attach to a chat, in bytes (default 10 MB).
    public var maxAttachmentBytes: Int

    public init(quickQuestionMinutes: Double = 15, warningMinutesLeft: Double = 3, routeOutsideHours: Bool = false,
                maxQueueMinutes: Double = 5, maxAttachmentBytes: Int = 10 * 1024 * 1024) {
        self.maxAttachmentBytes = maxAttachmentBytes
        self.quickQuestionMinutes = quickQuestionMinutes
        self.warningMinutesLeft = warningMinutesLeft
        self.routeOutsideHours = routeOutsideHours
        self.maxQueueMinutes = maxQueueMinutes
    }

    enum CodingKeys: String, CodingKey { case quickQuestionMinutes, warningMinutesLeft, routeOutsideHours, maxQueueMinutes, maxAttachmentBytes }

    /// Every key is optional; a missing one keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ChatBudgetPolicy()
        self.init(
            quickQuestionMinutes: try c.decodeIfPresent(Double.self, forKey: .quickQuestionMinutes) ?? defaults.quickQuestionMinutes,
            warningMinutesLeft: try c.decodeIfPresent(Double.self, forKey: .warningMinutesLeft) ?? defaults.warningMinutesLeft,
            routeOutsideHours: try c.decodeIfPresent(Bool.self, forKey: .routeOutsideHours) ?? defaults.routeOutsideHours,
            maxQueueMinutes: try c.decodeIfPresent(Double.self, forKey: .maxQueueMinutes) ?? defaults.maxQueueMinutes,
            maxAttachmentBytes: try c.decodeIfPresent(Int.self, forKey: .maxAttachmentBytes) ?? defaults.maxAttachmentBytes)
    }
}

/// A severity level with its first-response target, measured in the region's business hours.
public struct SeverityLevel: Sendable, Equatable, Codable {
    /// 1 (most severe) to 4.
    public var level: Int
    public var name: String
    public var description: String
    public var firstResponseBusinessHours: Double

    public init(level: Int, name: String, description: String, firstResponseBusinessHours: Double) {
        self.level = level
        self.name = name
        self.description = description
        self.firstResponseBusinessHours = firstResponseBusinessHours
    }
}

/// A professional-services hourly rate. Nothing is billed without the customer's explicit consent in the chat.
public struct ServiceRate: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var hourlyRate: Double
    public var currency: String

    public init(id: String, name: String, hourlyRate: Double, currency: String = "USD") {
        self.id = id
        self.name = name
        self.hourlyRate = hourlyRate
        self.currency = currency
    }
}
