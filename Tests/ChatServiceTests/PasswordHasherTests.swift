import XCTest
@testable import ChatService

final class PasswordHasherTests: XCTestCase {
    let hasher = PasswordHasher(iterations: 1000)

    func testVerifiesRightPasswordAndRejectsWrongOne() {
        let encoded = hasher.hash("correct horse battery staple")
        XCTAssertTrue(hasher.verify("correct horse battery staple", against: encoded))
        XCTAssertFalse(hasher.verify("correct horse battery stapler", against: encoded))
        XCTAssertFalse(hasher.verify("", against: encoded))
        let unicode = hasher.hash("pässwörd🔑")
        XCTAssertTrue(hasher.verify("pässwörd🔑", against: unicode))
        XCTAssertFalse(hasher.verify("passwörd🔑", against: unicode))
    }

    func testEncodingFormat() {
        let fields = hasher.hash("secret").split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(fields.count, 4)
        XCTAssertEqual(fields[0], "pbkdf2-sha256")
        XCTAssertEqual(fields[1], "1000")
        XCTAssertEqual(Base64URL.decode(fields[2])?.count, 16)
        XCTAssertEqual(Base64URL.decode(fields[3])?.count, 32)
        XCTAssertEqual(PasswordHasher.iterations(of: hasher.hash("secret")), 1000)
        XCTAssertEqual(PasswordHasher().iterations, 600_000)
    }

    func testDifferentSaltsGiveDifferentHashes() {
        let a = hasher.hash("same password")
        let b = hasher.hash("same password")
        XCTAssertNotEqual(a, b)
        XCTAssertTrue(hasher.verify("same password", against: a))
        XCTAssertTrue(hasher.verify("same password", against: b))
    }

    func testStoredIterationCountIsHonored() {
        let old = PasswordHasher(iterations: 1500).hash("legacy")
        // A hasher configured with another cost still verifies it with the stored 1500.
        XCTAssertTrue(PasswordHasher(iterations: 1).verify("legacy", against: old))
        // Altering the stored count breaks verification (the key depends on it).
        let tampered = old.replacingOccurrences(of: "$1500$", with: "$1000$")
        XCTAssertFalse(hasher.verify("legacy", against: tampered))
    }

    func testVerifiesAnEncodingBuiltFromRawPBKDF2() {
        // An encoding assembled by hand (as a migration script would) verifies.
        let encoded = "pbkdf2-sha256$4096$" + Base64URL.encode(Array("salt-16-bytes!!!".utf8)) + "$"
            + Base64URL.encode(Crypto.pbkdf2SHA256(password: Array("password".utf8),
                                                   salt: Array("salt-16-bytes!!!".utf8), iterations: 4096, keyLength: 32))
        XCTAssertTrue(hasher.verify("password", against: encoded))
    }

    func testMalformedEncodingsReturnFalse() {
        let good = hasher.hash("pw")
        let fields = good.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        let salt = fields[2], key = fields[3]
        let malformed = [
            "", "pw", "$$$", "pbkdf2-sha256", "pbkdf2-sha256$1000$\(salt)",
            "pbkdf2-sha256$1000$\(salt)$\(key)$extra",
            "pbkdf2-sha512$1000$\(salt)$\(key)", "bcrypt$1000$\(salt)$\(key)",
            "pbkdf2-sha256$0$\(salt)$\(key)", "pbkdf2-sha256$-5$\(salt)$\(key)", "pbkdf2-sha256$+1000$\(salt)$\(key)",
            "pbkdf2-sha256$01000$\(salt)$\(key)", "pbkdf2-sha256$abc$\(salt)$\(key)",
            "pbkdf2-sha256$99999999999999999999$\(salt)$\(key)", "pbkdf2-sha256$999999999$\(salt)$\(key)",
            "pbkdf2-sha256$1000$$\(key)", "pbkdf2-sha256$1000$\(salt)$", "pbkdf2-sha256$1000$!!!$\(key)",
            "pbkdf2-sha256$1000$\(salt)$\(key)==", "pbkdf2-sha256$1000$\(salt)$AAAA",
            "PBKDF2-SHA256$1000$\(salt)$\(key)", " \(good)",
        ]
        for encoded in malformed {
            XCTAssertFalse(hasher.verify("pw", against: encoded), "\"\(encoded)\" should be refused")
        }
        XCTAssertNil(PasswordHasher.iterations(of: "garbage"))
        XCTAssertTrue(hasher.verify("pw", against: good))
    }
}

extension PasswordHasherTests {
    func testUnknownAccountHashCostsTheConfiguredIterationsAndMatchesNothing() {
        let hasher = PasswordHasher(iterations: 1234)
        let standIn = hasher.unknownAccountHash()
        XCTAssertEqual(PasswordHasher.iterations(of: standIn), 1234)
        XCTAssertNotEqual(standIn, hasher.unknownAccountHash())
        for guess in ["", "password", "secret123", standIn] {
            XCTAssertFalse(hasher.verify(guess, against: standIn))
        }
    }
}
