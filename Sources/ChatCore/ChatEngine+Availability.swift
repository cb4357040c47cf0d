import Foundation

/// Whether a customer can chat right now, told up front (in `welcome`) so that a widget shows the ticket form at
/// once instead of after the customer wrote their question.
public struct ChatAvailability: Sendable, Equatable {
    public enum Reason: String, Sendable {
        /// The organization's plan has no live chat.
        case planExcludesChat = "plan_excludes_chat"
        /// Outside the region's support hours (see `nextOpening`).
        case outsideHours = "outside_hours"
        /// The organization is not registered.
        case unknownOrganization = "unknown_organization"
    }
    public var isOpen: Bool
    public var reason: Reason?
    public var nextOpening: Date?
    /// Products that offer chat.
    public var chatProducts: [String]
    public var queueLength: Int
    /// For a request made now: 0 when an agent can take it at once, else from how fast the queue has moved
    /// (nil until it has).
    public var expectedWaitSeconds: Double?
}

extension ChatEngine {
    /// The live-chat availability for a customer of `organization` right now.
    public func availability(for organization: OrganizationRecord?) -> ChatAvailability {
        let now = clock.now()
        let products = policy.products.filter(\.chatOffered).map(\.id)
        var result = ChatAvailability(isOpen: true, reason: nil, nextOpening: nil, chatProducts: products,
                                      queueLength: queue.count, expectedWaitSeconds: nil)
        guard let organization else {
            result.isOpen = false
            result.reason = .unknownOrganization
            return result
        }
        guard policy.plan(organization.planID)?.liveChat == true else {
            result.isOpen = false
            result.reason = .planExcludesChat
            return result
        }
        let regionID = organization.regionID ?? policy.defaultRegion
        if !isOpen(regionID, at: now) {
            result.isOpen = false
            result.reason = .outsideHours
            result.nextOpening = nextOpening(regionID, after: now)
            return result
        }
        let freeAgent = staff.values.contains { $0.identity.role == .agent && canReceive($0) }
        result.expectedWaitSeconds = queue.isEmpty && freeAgent ? 0 : expectedWait(position: queue.count + 1)
        return result
    }

    /// From how fast the queue has moved: the mean time between assignments from the queue (an exponential
    /// average of the recent ones) times the position. Nil until a queued chat has been assigned twice.
    func expectedWait(position: Int) -> Double? {
        queueInterval.map { $0 * Double(position) }
    }

    /// Called when a queued chat is assigned: updates the average time between assignments. Gaps longer than
    /// an hour (the queue was empty, or nobody worked) are not a measure of its speed and are skipped.
    func noteQueueAssignment(at now: Date) {
        defer { lastQueueAssignmentAt = now }
        guard let last = lastQueueAssignmentAt else { return }
        let interval = now.timeIntervalSince(last)
        guard interval >= 0, interval <= 3600 else { return }
        queueInterval = queueInterval.map { 0.8 * $0 + 0.2 * interval } ?? interval
    }
}
