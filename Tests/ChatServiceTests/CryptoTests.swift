import XCTest
@testable import ChatService

final class CryptoTests: XCTestCase {
    // RFC 4231 §4.2-4.8 (test case 5 checks truncation, which we do not offer).
    func testHMACSHA256MatchesRFC4231Vectors() {
        let cases: [(key: [UInt8], data: [UInt8], mac: String)] = [
            ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (bytes(hex: "0102030405060708090a0b0c0d0e0f10111213141516171819"), [UInt8](repeating: 0xcd, count: 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            ([UInt8](repeating: 0xaa, count: 131),
             Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            ([UInt8](repeating: 0xaa, count: 131),
             Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for (index, vector) in cases.enumerated() {
            XCTAssertEqual(Crypto.hex(Crypto.hmacSHA256(key: vector.key, message: vector.data)), vector.mac,
                           "RFC 4231 vector \(index + 1)")
        }
    }

    func testHMACWithEmptyKeyAndMessageMatchesKnownValue() {
        // HMAC-SHA256("", "") is a well-known constant.
        XCTAssertEqual(Crypto.hex(Crypto.hmacSHA256(key: [], message: [])),
                       "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    func testSHA256Hex() {
        XCTAssertEqual(Crypto.sha256Hex(Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Crypto.sha256Hex([]),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testRandomBytesHaveRequestedLengthAndDiffer() {
        XCTAssertEqual(Crypto.randomBytes(count: 0), [])
        let a = Crypto.randomBytes(count: 32)
        let b = Crypto.randomBytes(count: 32)
        XCTAssertEqual(a.count, 32)
        XCTAssertNotEqual(a, b)
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(Crypto.constantTimeEquals([], []))
        XCTAssertTrue(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(Crypto.constantTimeEquals([1, 2, 3], [1, 2]))
        XCTAssertFalse(Crypto.constantTimeEquals([], [0]))
    }

    // RFC 7914 §11 (PBKDF2-HMAC-SHA256) and the widely published "password"/"salt" vectors.
    func testPBKDF2MatchesPublishedVectors() {
        XCTAssertEqual(Crypto.hex(Crypto.pbkdf2SHA256(password: Array("password".utf8), salt: Array("salt".utf8),
                                                      iterations: 1, keyLength: 32)),
                       "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
        XCTAssertEqual(Crypto.hex(Crypto.pbkdf2SHA256(password: Array("password".utf8), salt: Array("salt".utf8),
                                                      iterations: 4096, keyLength: 32)),
                       "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
        XCTAssertEqual(Crypto.hex(Crypto.pbkdf2SHA256(password: Array("passwd".utf8), salt: Array("salt".utf8),
                                                      iterations: 1, keyLength: 64)),
                       "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                       + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }
}

final class Base64URLTests: XCTestCase {
    func testRFC4648VectorsWithoutPadding() {
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE",
                       "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64URL.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64URL.decode(encoded), Array(plain.utf8))
        }
    }

    func testURLSafeAlphabet() {
        XCTAssertEqual(Base64URL.encode([0xfb, 0xff, 0xbf]), "-_-_")
        XCTAssertEqual(Base64URL.decode("-_-_"), [0xfb, 0xff, 0xbf])
        XCTAssertEqual(Crypto.base64URLEncode([0xfb, 0xff]), "-_8")
        XCTAssertEqual(Crypto.base64URLDecode("-_8"), [0xfb, 0xff])
    }

    func testRoundTripsEveryLengthAndByte() {
        var all = (0...255).map { UInt8($0) }
        for length in 0...all.count {
            let slice = Array(all.prefix(length))
            XCTAssertEqual(Base64URL.decode(Base64URL.encode(slice)), slice, "length \(length)")
        }
        all.shuffle()
        XCTAssertEqual(Base64URL.decode(Base64URL.encode(all)), all)
        let random = Crypto.randomBytes(count: 1000)
        XCTAssertEqual(Base64URL.decode(Base64URL.encode(random)), random)
    }

    func testDecodeRejectsInvalidInput() {
        // '+', '/', padding, whitespace, impossible length, non-ASCII, '.', non-zero trailing bits.
        for bad in ["Zm9v+", "Zm9/", "Zg==", "Zm9v Yg", "Zm9v\n", "Z", "Zm9vY", "é", "Zm9v.", "Zh"] {
            XCTAssertNil(Base64URL.decode(bad), "\"\(bad)\" should be rejected")
        }
    }
}
