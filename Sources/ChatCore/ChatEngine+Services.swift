import Foundation

/// Professional services: the agent proposes paid work; nothing is billable until the customer accepts.
extension ChatEngine {
    static let maxProposalDescription = 2000
    static let maxEstimateHours = 1000.0

    func proposeServices(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, rateID: String,
                         description: String, estimateHours: Double) {
        guard let live = openSession(connection, principal, id) else { return }
        guard case .staff(let identity) = principal, let author = writer(principal, live.record) else {
            return refuse(connection, .notYourSession, "Only the agent of chat \(id) can propose services.")
        }
        guard live.record.pendingProposal == nil else {
            return refuse(connection, .proposalPending, "A proposal is already waiting for the customer's answer.")
        }
        guard let rate = policy.serviceRate(rateID) else {
            return refuse(connection, .unknownRate, "Unknown rate \"\(rateID)\"; rates: \(policy.serviceRates.map(\.id).joined(separator: ", ")).")
        }
        let text = description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.unicodeScalars.count <= Self.maxProposalDescription else {
            return refuse(connection, .invalidField, "A description of 1 to \(Self.maxProposalDescription) characters is required.")
        }
        guard estimateHours > 0, estimateHours <= Self.maxEstimateHours else {
            return refuse(connection, .invalidField, "The estimate must be more than 0 and at most \(Int(Self.maxEstimateHours)) hours.")
        }
        let proposal = ServicesProposal(description: text, rateID: rate.id, hourlyRate: rate.hourlyRate, currency: rate.currency,
                                        estimateHours: estimateHours,
                                        proposedBy: staff[identity.id]?.ref ?? StaffRef(id: identity.id, name: identity.name))
        sessions[id]?.record.pendingProposal = proposal
        append(id, kind: .servicesProposed, author: author,
               text: "\(author.name) proposes professional services: \(text). \(rate.name): \(Self.money(rate.hourlyRate, rate.currency)) per hour, about \(Self.hours(estimateHours)) (≈ \(Self.money(proposal.estimatedAmount, rate.currency))). Nothing is charged unless you accept.",
               proposal: proposal)
        if let record = sessions[id]?.record { out.persist(.updateSession(record)) }
    }

    func respondToServices(_ connection: ConnectionID, _ principal: Principal, _ id: SessionID, accept: Bool) {
        guard let live = openSession(connection, principal, id) else { return }
        guard case .customer(let customer) = principal, let author = writer(principal, live.record) else {
            return refuse(connection, .notYourSession, "Only the customer of chat \(id) can answer a proposal.")
        }
        guard let proposal = live.record.pendingProposal else {
            return refuse(connection, .noPendingProposal, "There is no proposal waiting in chat \(id).")
        }
        sessions[id]?.record.pendingProposal = nil
        if accept {
            append(id, kind: .servicesAccepted, author: author,
                   text: "\(author.name) accepted the professional services: \(proposal.description).", proposal: proposal)
            out.persist(.recordServiceOrder(ServiceOrder(sessionID: id, organizationID: customer.organizationID,
                                                         contactID: customer.contactID, proposal: proposal, acceptedAt: clock.now())))
        } else {
            append(id, kind: .servicesDeclined, author: author,
                   text: "\(author.name) declined the professional services. Nothing is charged.", proposal: proposal)
        }
        if let record = sessions[id]?.record { out.persist(.updateSession(record)) }
    }

    static func money(_ amount: Double, _ currency: String) -> String {
        let rounded = (amount * 100).rounded() / 100
        let text = rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded)
        return currency == "USD" ? "$\(text)" : "\(text) \(currency)"
    }

    static func hours(_ value: Double) -> String {
        let text = value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
        return "\(text) hour\(value == 1 ? "" : "s")"
    }
}
