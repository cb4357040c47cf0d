import XCTest
@testable import ChatCore

/// An uploaded file becomes an `attachment` event under the `send` writer rules, and the upload is answered only
/// once that event is committed (an acknowledgement means on disk).
final class AttachmentEngineTests: XCTestCase {
    let file = AttachmentInfo(name: "shot.png", size: 1234, type: "image/png", sha256: String(repeating: "a", count: 64),
                              width: 40, height: 30)

    func answers(_ effects: [Effect]) -> [(UInt64, AttachmentOutcome)] {
        effects.compactMap { if case let .attachmentAnswered(id, outcome) = $0 { return (id, outcome) } else { return nil } }
    }

    func testTheCustomersFileIsAnsweredOnCommitAndReachesTheAgent() throws {
        let h = EngineHarness()
        let agent = h.connectAgent(Fixture.agent(1))
        let (customer, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        let m = h.mark
        let now = h.record(h.engine.attach(file, to: id, by: .customer(Fixture.customer()), requestID: 77))
        XCTAssertTrue(answers(now).isEmpty, "not before the commit")
        let event = try XCTUnwrap(h.persistedEvents(since: m).first)
        XCTAssertEqual(event.kind, .attachment)
        XCTAssertEqual(event.attachment, file)
        XCTAssertEqual(event.text, "shot.png")
        XCTAssertEqual(event.author.role, .customer)
        let committed = h.commitAll()
        let answered = answers(committed)
        XCTAssertEqual(answered.map(\.0), [77])
        XCTAssertEqual(answered.first?.1, .committed(event))
        XCTAssertEqual(h.events(to: agent, since: m), [event])
        XCTAssertEqual(h.events(to: customer, since: m), [event], "the uploader's page gets it as any event")
    }

    func testOnlyTheChatsWritersMayAttach() {
        let h = EngineHarness()
        _ = h.connectAgent(Fixture.agent(1))
        let other = h.connectAgent(Fixture.agent(2))
        _ = other
        let (_, id) = h.openChat(Fixture.customer(), org: Fixture.org())
        func refusal(_ principal: Principal) -> ChatErrorCode? {
            guard case .refused(let error)? = answers(h.record(h.engine.attach(file, to: id, by: principal, requestID: 1))).first?.1
            else { return nil }
            return error.code
        }
        XCTAssertEqual(refusal(.customer(Fixture.customer("mallory"))), .notYourSession)
        XCTAssertEqual(refusal(.staff(Fixture.agent(2))), .notYourSession)
        XCTAssertEqual(refusal(.customer(Fixture.customer("bob", org: "globex"))), .notYourSession)
        XCTAssertNil(refusal(.staff(Fixture.agent(1))), "its agent may")
        XCTAssertNil(refusal(.staff(Fixture.supervisor(9))), "a supervisor barging in may")
        XCTAssertEqual(h.engine.attach(file, to: 999, by: .staff(Fixture.agent(1)), requestID: 2)
            .contains(.attachmentAnswered(requestID: 2, .refused(ChatError(.sessionClosed,
                "This chat has ended; files can only be attached to an open chat.")))), true, "an unknown or evicted chat")
    }
}
