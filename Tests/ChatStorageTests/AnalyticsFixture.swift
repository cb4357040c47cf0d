import ChatCore
import XCTest
@testable import ChatStorage

/// Builders of the hand-worked analytics data set, shared by `AnalyticsTests` (SQLite) and
/// `AnalyticsContractTests` (every backend).
protocol AnalyticsFixture {}

extension AnalyticsFixture {
    var ann: StaffRef { StaffRef(id: 7, name: "Ann") }
    var bob: StaffRef { StaffRef(id: 8, name: "Bob") }

    func event(_ id: SessionID, _ seq: Seq, _ at: Double, _ kind: SessionEventKind, agent: StaffRef? = nil,
               byAgent: StaffRef? = nil, ticket: Int64? = nil) -> StorageWrite {
        let author = byAgent.map { Participant(role: .agent, id: String($0.id), name: $0.name) }
            ?? (kind == .joined ? .system : Participant(role: .customer, id: "c\(id)", name: "Cust"))
        return .appendEvent(SessionEvent(sessionID: id, seq: seq, at: Fixture.at(at), kind: kind, author: author,
                                         text: kind == .message ? "text" : nil, agent: agent, ticketNumber: ticket))
    }

    func session(_ id: SessionID, org: OrganizationID, product: String = "pressero", created: Double,
                 state: SessionState, agent: StaffRef?, closed: Double? = nil, ticket: Int64? = nil) -> StorageWrite {
        var record = Fixture.session(id, org: org, contact: "c\(id)", state: state, agent: agent, createdAt: created,
                                     closedAt: closed)
        record.productID = product
        record.ticketNumber = ticket
        return .createSession(record)
    }
}
