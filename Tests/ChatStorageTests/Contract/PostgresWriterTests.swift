import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// What only the PostgreSQL writer has: lease fencing, and surviving a lost connection. Skipped without
/// `CHATD_TEST_POSTGRES_URL`.
final class PostgresWriterTests: StorageContractCase {
    private func postgres() throws -> PostgresStore {
        guard let store = try makePostgres() else { throw XCTSkip("CHATD_TEST_POSTGRES_URL is not set") }
        return store
    }

    private func setLease(_ store: PostgresStore, holder: String, generation: Int64) throws {
        try PGConnection(url: store.url).execute("""
            INSERT INTO cluster_leases (name, holder, generation, expires_at) VALUES ('chats', $1, $2, $3)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, generation = excluded.generation,
                                             expires_at = excluded.expires_at
            """, [.text(holder), .int(generation), .double(Date().timeIntervalSince1970 + 30)])
    }

    func testAStaleGenerationCommitsNothingAndReportsTheLeaseLostOnce() throws {
        let store = try postgres()
        try setLease(store, holder: "node-a", generation: 5)
        let lost = WriterLog()
        store.setWriteFence(WriteFence(leaseName: "chats", holder: "node-a", generation: 4,
                                       onLost: { lost.state("lost") }))
        let log = WriterLog()
        let writer = store.makeWriter(capacity: 100, lingerSeconds: 0, onCommit: { log.commit($0) },
                                      onFailure: { log.fail($0) }, onStorageState: { _ in })
        writer.start()
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1))]))
        XCTAssertTrue(writer.submit([.appendEvent(Fixture.message(1, seq: 2))]))
        writer.stop()
        XCTAssertEqual(log.receipts, [])
        XCTAssertEqual(log.failures.count, 3)
        XCTAssertEqual(Set(log.failures.map(\.message)), ["lease lost"])
        XCTAssertEqual(lost.states, ["lost"])
        XCTAssertNil(try store.session(id: 1))
        XCTAssertEqual(try store.events(sessionID: 1), [])
    }

    func testTheHolderCommitsUntilTheLeaseMoves() throws {
        let store = try postgres()
        try setLease(store, holder: "node-a", generation: 7)
        let lost = WriterLog()
        store.setWriteFence(WriteFence(leaseName: "chats", holder: "node-a", generation: 7,
                                       onLost: { lost.state("lost") }))
        let log = WriterLog()
        let writer = store.makeWriter(capacity: 100, lingerSeconds: 0, onCommit: { log.commit($0) },
                                      onFailure: { log.fail($0) }, onStorageState: { _ in })
        writer.start()
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1))]))
        XCTAssertTrue(wait { log.highestCommittedSeqs[1] == 1 })
        // Another node takes the lease over (its generation bumps): this node's next batch must not commit.
        try setLease(store, holder: "node-b", generation: 8)
        XCTAssertTrue(writer.submit([.appendEvent(Fixture.message(1, seq: 2))]))
        XCTAssertTrue(wait { !lost.states.isEmpty })
        XCTAssertTrue(writer.submit([.appendEvent(Fixture.message(1, seq: 3))]))
        writer.stop()
        XCTAssertEqual(log.highestCommittedSeqs, [1: 1])
        XCTAssertEqual(log.failures.map(\.message), ["lease lost", "lease lost"])
        XCTAssertEqual(lost.states, ["lost"])
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1])
        XCTAssertEqual(try store.storedSession(id: 1)?.lastSeq, 1)
    }

    func testALostConnectionIsReportedAndTheWriterReconnects() throws {
        let store = try postgres()
        let log = WriterLog()
        let writer = store.makeWriter(capacity: 1_000, lingerSeconds: 0, onCommit: { log.commit($0) },
                                      onFailure: { log.fail($0) }, onStorageState: { log.state($0) })
        writer.start()
        XCTAssertTrue(writer.submit([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1))]))
        XCTAssertTrue(wait { log.highestCommittedSeqs[1] == 1 })
        // Every other connection to this database is killed: the writer's among them.
        let admin = try PGConnection(url: store.url)
        let killed = try admin.execute("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
        XCTAssertGreaterThan(killed.count, 0)
        XCTAssertTrue(writer.submit([.appendEvent(Fixture.message(1, seq: 2)), .appendEvent(Fixture.message(1, seq: 3))]))
        XCTAssertTrue(wait { log.highestCommittedSeqs[1] == 3 })
        writer.stop()
        XCTAssertEqual(log.failures.map(\.message), [])
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1, 2, 3])
        XCTAssertEqual(log.states.count, 2, "failing, then recovered: \(log.states)")
        XCTAssertNil(log.states.last ?? "not nil")
        XCTAssertNil(writer.failure)
    }

    func testTextWithANulCharacterFailsAloneInsteadOfBeingCut() throws {
        let store = try postgres()
        let bad = StorageWrite.appendEvent(Fixture.message(1, seq: 2, text: "before\u{0}after"))
        let log = write([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1)), bad,
                         .readMarker(sessionID: 1, role: .customer, seq: 1)], to: store)
        XCTAssertEqual(log.failures.map(\.write), [bad])
        XCTAssertTrue(log.failures.first?.message.contains("invalid_text") == true)
        XCTAssertEqual(try store.events(sessionID: 1).map(\.seq), [1])
        XCTAssertEqual(try store.readMarkers(sessionID: 1), [.customer: 1])
    }

    func testQuotesBackslashesAndUnicodeRoundTrip() throws {
        let store = try postgres()
        let texts = ["say \"hi\"", "back\\slash", "{braces},commas", "NULL", "", "emoji 👋 ünïcode", "line\nbreak"]
        var writes: [StorageWrite] = [.createSession(Fixture.session(1))]
        for (index, text) in texts.enumerated() {
            writes.append(.appendEvent(Fixture.message(1, seq: Seq(index + 1), clientID: text, text: text)))
        }
        XCTAssertEqual(write(writes, to: store).failures.count, 0)
        XCTAssertEqual(try store.events(sessionID: 1).map(\.text), texts)
        XCTAssertEqual(try store.events(sessionID: 1).map(\.clientMessageID), texts)
    }

    /// SQLite dropped this unique index (v8-lean-events: the engine keeps open chats' client ids in memory);
    /// PostgreSQL keeps it, as a backstop across nodes.
    func testAReusedClientMessageIDOfTheSameAuthorFailsAloneOnPostgres() throws {
        let backend = try postgres()
        let name = "postgres"
        do {
            write([.createSession(Fixture.session(1)), .appendEvent(Fixture.message(1, seq: 1, clientID: "m1"))],
                  to: backend)
            // Another author may use the same client id; the same author may not.
            let agentReply = StorageWrite.appendEvent(Fixture.message(1, seq: 2, clientID: "m1", role: .agent))
            let reused = StorageWrite.appendEvent(Fixture.message(1, seq: 3, clientID: "m1"))
            let log = write([agentReply, reused], to: backend)
            XCTAssertEqual(log.failures.map(\.write), [reused], name)
            XCTAssertEqual(log.highestCommittedSeqs, [1: 2], name)
            let key = ClientMessageKey(author: AuthorKey(role: .customer, id: "c1"), clientID: "m1")
            XCTAssertEqual(try backend.event(sessionID: 1, key: key)?.seq, 1, name)
        }
    }

    /// Polls `condition` for up to 10 s (the writer reports on its own thread).
    private func wait(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }
}
