import ChatCore
import Foundation
import XCTest
@testable import ChatStorage

/// v17-attachments: an `attachment` event stores its file row in the same transaction, reads back whole, and
/// retention deletes a file only once no remaining chat's event names its hash.
final class AttachmentStoreTests: StorageTestCase {
    static let shared = String(repeating: "ab", count: 32)
    static let onlyOld = String(repeating: "cd", count: 32)

    func attachmentEvent(_ sessionID: SessionID, seq: Seq, sha256: String, name: String) -> SessionEvent {
        SessionEvent(sessionID: sessionID, seq: seq, at: Fixture.at(Double(seq)), kind: .attachment,
                     author: Participant(role: .customer, id: "c1", name: "C"), text: name,
                     attachment: AttachmentInfo(name: name, size: 4, type: "image/png", sha256: sha256, width: 2, height: 3))
    }

    /// Writes `content` into the store by hash, as an upload does.
    func storeFile(_ store: ChatStore, _ sha256: String) throws -> URL {
        let files = store.attachmentFiles
        let incoming = try files.makeIncomingFile()
        try Data("data".utf8).write(to: incoming)
        return try files.adopt(incoming, sha256: sha256)
    }

    func testAnAttachmentEventStoresItsRowAndReadsBackWhole() throws {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        let event = attachmentEvent(1, seq: 1, sha256: Self.shared, name: "shot.png")
        commit([.createSession(Fixture.session(1)), .appendEvent(event)], to: store)
        XCTAssertEqual(try store.events(sessionID: 1), [event])
        let row = try XCTUnwrap(try store.attachment(sessionID: 1, seq: 1))
        XCTAssertEqual(row, StoredAttachment(sessionID: 1, seq: 1, sha256: Self.shared, name: "shot.png",
                                             type: "image/png", size: 4))
        XCTAssertNil(try store.attachment(sessionID: 1, seq: 2))
        XCTAssertEqual(try store.attachmentUses(sha256: Self.shared), 1)
    }

    func testFilesAreStoredByHashAndRefusedForBadHashes() throws {
        let store = try makeStore()
        let url = try storeFile(store, Self.shared)
        XCTAssertEqual(url.path, store.attachmentFiles.root.path + "/ab/ab/" + Self.shared)
        XCTAssertEqual(try Data(contentsOf: url), Data("data".utf8))
        XCTAssertNil(store.attachmentFiles.url(forSHA256: "../../etc/passwd"))
        XCTAssertNil(store.attachmentFiles.url(forSHA256: String(repeating: "AB", count: 32)), "lowercase hex only")
        // The same content again: one file, the incoming copy gone.
        _ = try storeFile(store, Self.shared)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.attachmentFiles.incomingDirectory.path), [])
    }

    func testRetentionDeletesFilesNoOtherChatUses() throws {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        // Chat 1 (closed long ago) has the shared file and its own; chat 2 (open) has the shared one too.
        commit([
            .createSession(Fixture.session(1, state: .closed, createdAt: 0, closedAt: 100)),
            .appendEvent(attachmentEvent(1, seq: 1, sha256: Self.shared, name: "a.png")),
            .appendEvent(attachmentEvent(1, seq: 2, sha256: Self.onlyOld, name: "b.png")),
            .createSession(Fixture.session(2, state: .active, createdAt: 0)),
            .appendEvent(attachmentEvent(2, seq: 1, sha256: Self.shared, name: "a-again.png")),
        ], to: store)
        try store.indexAllEvents()
        let shared = try storeFile(store, Self.shared), onlyOld = try storeFile(store, Self.onlyOld)

        XCTAssertEqual(try store.deleteClosedChats(closedBefore: Fixture.at(5_000), limit: 10), 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: onlyOld.path), "no other chat used it")
        XCTAssertTrue(FileManager.default.fileExists(atPath: shared.path), "chat 2 still uses it")
        XCTAssertNil(try store.attachment(sessionID: 1, seq: 1))
        XCTAssertEqual(try store.attachmentUses(sha256: Self.shared), 1)
        XCTAssertNotNil(try store.attachment(sessionID: 2, seq: 1))
        XCTAssertEqual(try store.verify(), [])
    }
}

extension AttachmentStoreTests {
    func testErasingAContactRemovesTheFilesTheyAttached() throws {
        let store = try makeStore()
        try store.createOrganization(id: "acme", name: "Acme", planID: "hv")
        commit([
            .registerContact("acme", "c1"),
            .createSession(Fixture.session(1, state: .closed, createdAt: 0, closedAt: 100)),
            .appendEvent(attachmentEvent(1, seq: 1, sha256: Self.onlyOld, name: "passport.png")),
        ], to: store)
        let file = try storeFile(store, Self.onlyOld)
        _ = try store.eraseContact(organizationID: "acme", contactID: "c1")
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.path))
        XCTAssertNil(try store.attachment(sessionID: 1, seq: 1))
        let event = try XCTUnwrap(try store.events(sessionID: 1).first)
        XCTAssertNil(event.attachment)
        XCTAssertEqual(event.text, "[erased]")
    }
}
