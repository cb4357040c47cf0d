import Foundation
import XCTest
@testable import ChatService

final class DeploymentSecretTests: XCTestCase {
    func testCreatesFileWithMode0600AndReusesIt() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dataDirectory = root + "/nested/data"   // created on demand
        let first = try DeploymentSecret.load(dataDirectory: dataDirectory, environment: [:])
        XCTAssertEqual(first.count, 43)             // 32 random bytes as base64url text
        XCTAssertEqual(Base64URL.decode(String(decoding: first, as: UTF8.self))?.count, 32)

        let path = dataDirectory + "/jwt-secret"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(contents, String(decoding: first, as: UTF8.self) + "\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dataDirectory), ["jwt-secret"])

        let second = try DeploymentSecret.load(dataDirectory: dataDirectory, environment: [:])
        XCTAssertEqual(second, first)
        let elsewhere = try DeploymentSecret.load(dataDirectory: root + "/other", environment: [:])
        XCTAssertNotEqual(elsewhere, first)
    }

    func testEnvironmentOverridesFile() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fromFile = try DeploymentSecret.load(dataDirectory: root, environment: [:])
        let value = "shared-with-the-admin-panel-0123456789"
        let fromEnvironment = try DeploymentSecret.load(dataDirectory: root,
                                                        environment: ["CHATD_JWT_SECRET": value + "\n"])
        XCTAssertEqual(fromEnvironment, Array(value.utf8))
        XCTAssertNotEqual(fromEnvironment, fromFile)
        // With the variable set, no file is created.
        let empty = root + "/unused"
        _ = try DeploymentSecret.load(dataDirectory: empty, environment: ["CHATD_JWT_SECRET": value])
        XCTAssertFalse(FileManager.default.fileExists(atPath: empty))
    }

    func testExistingFileIsUsedAsText() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let text = "operator-chosen-secret-of-sufficient-length"
        try (text + "\n").write(toFile: root + "/jwt-secret", atomically: true, encoding: .utf8)
        XCTAssertEqual(try DeploymentSecret.load(dataDirectory: root, environment: [:]), Array(text.utf8))
    }

    func testShortSecretsAreRefused() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for value in ["", "short", String(repeating: "x", count: 31)] {
            XCTAssertThrowsError(try DeploymentSecret.load(dataDirectory: root, environment: ["CHATD_JWT_SECRET": value])) {
                XCTAssertTrue(String(describing: $0).contains("CHATD_JWT_SECRET"), String(describing: $0))
            }
        }
        // An empty (e.g. truncated) file is an error, never silently replaced.
        try "".write(toFile: root + "/jwt-secret", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DeploymentSecret.load(dataDirectory: root, environment: [:]))
        XCTAssertEqual(try String(contentsOfFile: root + "/jwt-secret", encoding: .utf8), "")
    }
}
