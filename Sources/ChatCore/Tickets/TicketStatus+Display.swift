extension TicketStatus {
    /// The name customers and staff see ("Awaiting your reply", "On-Hold").
    public var displayName: String {
        switch self {
        case .new: return "New"
        case .open: return "Open"
        case .awaitingReply: return "Awaiting your reply"
        case .onHold: return "On-Hold"
        case .closed: return "Closed"
        }
    }
}
