import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// The on-call outbox across a crash and restart, on every backend: an alert that a server took but never
/// finished (it was killed) is handed out again, at once, by the next server on the same database. SQLite always
/// did (every pending alert, every poll); on PostgreSQL the dead server's claim used to keep it from everyone,
/// its own successor included, until the claim's lease ran out (5 minutes): the e2e suite on PostgreSQL caught it
/// (test_oncall_outbox.py, a pending alert survives a crash). Meanwhile a live claim still keeps other nodes off.
final class OnCallRestartContractTests: StorageContractCase {
    func testAnAlertTakenByAServerThatDiedIsHandedOutAgainAfterTheRestart() throws {
        let path = try makeSQLite().path
        try check("sqlite") { try ChatStore(path: path, durability: .normal) }
        if let postgres = try makePostgres() {
            let (url, root) = (postgres.url, postgres.attachmentFiles.root)
            try check("postgres") { try PostgresStore(url: url, attachmentsRoot: root) }
        }
    }

    /// `open` opens the backend on the same database each time (a server process starting).
    private func check(_ name: String, open: () throws -> any StorageBackend) throws {
        let taken: [Int64]
        do {
            let first = try open()
            let draft = TicketDraft(organizationID: "acme", customer: Fixture.customer(org: "acme", contact: "c1"),
                                    subject: "Checkout down", productID: "pressero", category: .incident, severity: 1,
                                    urgent: true, sessionID: nil, convertedBy: nil, createdAt: Fixture.at(0),
                                    firstResponseDue: Fixture.at(3600), description: "It broke.",
                                    createdBy: Participant(role: .customer, id: "c1", name: "Cathy"))
            let created = try first.createTicketOnce(draft, onCall: OnCallRequest(organizationName: "Acme", perDay: 5,
                                                                                  now: Fixture.at(0)))
            XCTAssertEqual(created.onCall, .queued, name)
            taken = try first.pendingOnCallAlerts(limit: 10).map(\.id)
            XCTAssertEqual(taken.count, 1, name)
            if name == "postgres" {
                // Another node, while the first one lives: its claim keeps it off.
                let other = try open()
                XCTAssertEqual(try other.pendingOnCallAlerts(limit: 10).map(\.id), [], "a live claim holds (\(name))")
            }
            // The first server dies without finishing the alert: its connections and sessions end here.
        }
        let restarted = try open()
        var again: [Int64] = []
        let deadline = Date().addingTimeInterval(5)   // the server may take a moment to see the sessions end
        repeat {
            again = try restarted.pendingOnCallAlerts(limit: 10).map(\.id)
            if again == taken { break }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        XCTAssertEqual(again, taken, "the restarted server sends the dead one's alert again (\(name))")
        try restarted.finishOnCallAlert(id: taken[0], delivered: true)
        XCTAssertEqual(try restarted.pendingOnCallAlerts(limit: 10).map(\.id), [], name)
    }
}
