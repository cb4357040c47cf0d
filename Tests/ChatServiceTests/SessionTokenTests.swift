import XCTest
@testable import ChatService

final class SessionTokenTests: XCTestCase {
    func testTokensAreLongRandomAndURLSafe() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let token = SessionToken.generate()
            XCTAssertEqual(token.utf8.count, 43)
            XCTAssertEqual(Base64URL.decode(token)?.count, 32)
            XCTAssertTrue(seen.insert(token).inserted)
        }
    }

    func testStorageHashIsStableSHA256Hex() {
        let token = SessionToken.generate()
        XCTAssertEqual(SessionToken.storageHash(token), SessionToken.storageHash(token))
        XCTAssertEqual(SessionToken.storageHash(token).count, 64)
        XCTAssertNotEqual(SessionToken.storageHash(token), SessionToken.storageHash(SessionToken.generate()))
        XCTAssertEqual(SessionToken.storageHash("abc"),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
