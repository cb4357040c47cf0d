import Foundation

/// Support hours: chat is offline outside the organization's region's hours; urgent requests then become
/// urgent tickets that alert on-call staff. Routing waits for the region to open unless policy allows.
extension ChatEngine {
    func region(of organizationID: OrganizationID) -> String {
        organizations[organizationID]?.regionID ?? policy.defaultRegion
    }

    func isOpen(_ regionID: String, at now: Date) -> Bool {
        guard let calendar = calendars[regionID] ?? calendars[policy.defaultRegion] else { return true }
        return calendar.isOpen(at: now)
    }

    func nextOpening(_ regionID: String, after now: Date) -> Date? {
        (calendars[regionID] ?? calendars[policy.defaultRegion])?.nextOpening(atOrAfter: now)
    }

    /// Whether routing may hand this session to an agent now: not while it is being converted to a ticket, and
    /// only in its region's hours (unless policy routes outside hours).
    func mayRoute(_ id: SessionID, at now: Date) -> Bool {
        guard let record = sessions[id]?.record, record.budget.stage != .converting else { return false }
        guard !policy.chat.routeOutsideHours else { return true }
        return isOpen(region(of: record.organizationID), at: now)
    }

    /// The chat request arrives outside hours: refuse with the next opening, or open an urgent ticket.
    /// Returns true when it handled the request.
    func handleOutsideHours(_ connection: ConnectionID, _ customer: CustomerIdentity, productID: String, subject: String,
                            text: String, urgent: Bool, timeZone: String?, key: ChatRequestKey) -> Bool {
        let clientID = key.clientID
        let now = clock.now()
        let regionID = region(of: customer.organizationID)
        guard !isOpen(regionID, at: now) else { return false }
        let regionName = policy.region(regionID)?.name ?? regionID
        if urgent {
            // Idempotent by clientId: a resend (after a reconnect) gets the same ticket, never a second one; in
            // flight here, and across restarts in storage (one ticket per request key).
            switch urgentRequests.state(key) {
            case .pending:
                urgentRequests.setOrigin(key, connection)
                return true
            case .answered(let answer):
                out.send(connection, answer)
                return true
            case .unknown:
                break
            }
            let request = TicketRequest(
                id: nextTicketRequestID, organizationID: customer.organizationID, customer: customer, subject: subject,
                productID: productID, category: .incident, severity: 1, urgent: true,
                description: text, sessionID: nil, convertedBy: nil, slaStart: now, regionID: regionID, notifyOnCall: true,
                requestKey: key)
            nextTicketRequestID += 1
            pendingTickets[request.id] = .offlineUrgent(origin: connection, key: key)
            urgentRequests.begin(key, origin: connection)
            out.append(.createTicket(request))
            return true
        }
        var details: [String: String] = ["region": regionID]
        var when = ""
        if let opening = nextOpening(regionID, after: now) {
            let zone = timeZone.flatMap { TimeZone(identifier: $0) != nil ? $0 : nil }
                ?? policy.region(regionID)?.timeZone ?? "UTC"
            let described = SupportCalendar.describe(opening, inZone: zone)
            details["nextOpening"] = ISOTime.format(opening)
            details["nextOpeningText"] = described
            details["timeZone"] = zone
            when = " We open again \(described)."
        }
        out.send(connection, .error(ChatError(
            .chatOffline,
            "Live chat is offline outside \(regionName) support hours.\(when) You can leave a ticket now; mark it urgent if you cannot take orders or produce a job, and on-call staff will be alerted.",
            alternative: "ticket", details: details), ref: clientID))
        return true
    }

    /// The earliest opening of a region that has sessions waiting only for it to open.
    func queueOpeningDeadline(now: Date) -> Date? {
        guard !policy.chat.routeOutsideHours else { return nil }
        let waitingRegions = Set(queue.compactMap { sessions[$0].map { region(of: $0.record.organizationID) } })
        return waitingRegions.filter { !isOpen($0, at: now) }.compactMap { nextOpening($0, after: now) }.min()
    }
}
