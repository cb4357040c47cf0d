import ChatCore
import Foundation
import XCTest
@testable import ChatService

final class ServerConfigTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func write(_ json: String) throws -> String {
        let path = directory + "/config-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func loadError(_ json: String) throws -> String {
        let path = try write(json)
        do {
            let config = try ServerConfig.load(path: path)
            XCTFail("expected an error, loaded \(config)")
            return ""
        } catch let error as ConfigurationError {
            XCTAssertTrue(error.message.hasPrefix(path), error.message)
            return error.message
        }
    }

    func testDefaults() {
        let config = ServerConfig()
        XCTAssertEqual(config.host, "127.0.0.1")
        XCTAssertEqual(config.port, 8080)
        XCTAssertEqual(config.dataDirectory, "./data")
        XCTAssertNil(config.webRoot)
        XCTAssertEqual(config.durability, .full)
        XCTAssertEqual(config.agentSessionCap, 3)
        XCTAssertEqual(config.agentGraceSeconds, 60)
        XCTAssertEqual(config.maxFrameBytes, 65_536)
        XCTAssertEqual(config.maxMessageLength, 4000)
        XCTAssertEqual(config.maxHTTPBodyBytes, 65_536)
        XCTAssertEqual(config.maxQueuedBytesPerConnection, 1_048_576)
        XCTAssertEqual(config.messagesPerSecond, 20)
        XCTAssertEqual(config.messageBurst, 40)
        XCTAssertEqual(config.writerCapacity, 100_000)
        XCTAssertEqual(config.passwordIterations, 600_000)
        XCTAssertEqual(config.sessionTokenTTLSeconds, 43_200)
        XCTAssertEqual(config.tokenLeewaySeconds, 30)
        XCTAssertNil(config.policyFile)
        XCTAssertEqual(config.clockSpeed, 1)
        XCTAssertNoThrow(try config.validate())
    }

    func testEmptyFileObjectGivesDefaults() throws {
        XCTAssertEqual(try ServerConfig.load(path: write("{}")), ServerConfig())
    }

    func testPartialFileKeepsOtherDefaults() throws {
        let config = try ServerConfig.load(path: write("""
            {"port": 9090, "durability": "normal", "webRoot": "/srv/web", "clockSpeed": 60,
             "agentSessionCap": 5, "messagesPerSecond": 2.5, "policyFile": "/etc/chatd/policy.json"}
            """))
        var expected = ServerConfig()
        expected.port = 9090
        expected.durability = .normal
        expected.webRoot = "/srv/web"
        expected.clockSpeed = 60
        expected.agentSessionCap = 5
        expected.messagesPerSecond = 2.5
        expected.policyFile = "/etc/chatd/policy.json"
        XCTAssertEqual(config, expected)
    }

    func testUnknownKeyIsNamed() throws {
        let message = try loadError(#"{"port": 9090, "agentSesionCap": 5}"#)
        XCTAssertTrue(message.contains("unknown key \"agentSesionCap\""), message)
    }

    func testBadTypeNamesTheKey() throws {
        let message = try loadError(#"{"port": "eighty"}"#)
        XCTAssertTrue(message.contains("port"), message)
        let nullMessage = try loadError(#"{"host": null, "port": 1}"#)
        XCTAssertTrue(nullMessage.contains("host"), nullMessage)
    }

    func testInvalidValuesAreNamed() throws {
        XCTAssertTrue(try loadError(#"{"durability": "fast"}"#).contains("durability"))
        XCTAssertTrue(try loadError(#"{"port": 70000}"#).contains("port"))
        XCTAssertTrue(try loadError(#"{"clockSpeed": 0}"#).contains("clockSpeed"))
        XCTAssertTrue(try loadError(#"{"agentSessionCap": 0}"#).contains("agentSessionCap"))
        XCTAssertTrue(try loadError(#"{"passwordIterations": 0}"#).contains("passwordIterations"))
    }

    func testNotJSONAndMissingFile() throws {
        XCTAssertTrue(try loadError("port = 8080").contains("not valid JSON"))
        XCTAssertTrue(try loadError("[1, 2]").contains("(top level)"))
        XCTAssertThrowsError(try ServerConfig.load(path: directory + "/absent.json")) { error in
            XCTAssertTrue(String(describing: error).contains("absent.json"))
        }
    }

    func testEncodeDecodeRoundTrip() throws {
        var config = ServerConfig()
        config.webRoot = "/srv/web"
        config.durability = .normal
        let data = try JSONEncoder().encode(config)
        XCTAssertEqual(try JSONDecoder().decode(ServerConfig.self, from: data), config)
        XCTAssertEqual(try JSONDecoder().decode(ServerConfig.self, from: JSONEncoder().encode(ServerConfig())),
                       ServerConfig())
    }

    func testEngineConfig() {
        var config = ServerConfig()
        config.agentSessionCap = 4
        config.agentGraceSeconds = 90
        config.maxMessageLength = 1000
        let engine = config.engineConfig()
        XCTAssertEqual(engine.agentSessionCap, 4)
        XCTAssertEqual(engine.agentGraceSeconds, 90)
        XCTAssertEqual(engine.maxMessageLength, 1000)
        XCTAssertEqual(engine.maxSubjectLength, EngineConfig().maxSubjectLength)
    }
}

extension ServerConfigTests {
    func testHardeningDefaults() {
        let config = ServerConfig()
        XCTAssertEqual(config.customerTokenMaxLifetimeSeconds, 86_400)
        XCTAssertEqual(config.loginWorkers, 1)
        XCTAssertEqual(config.loginQueueCapacity, 16)
        XCTAssertEqual(config.loginAttemptsPerAddress, 30)
        XCTAssertEqual(config.loginAttemptsPerUsername, 10)
        XCTAssertEqual(config.loginThrottleWindowSeconds, 60)
        XCTAssertEqual(config.loginThrottleMaxEntries, 10_000)
        XCTAssertEqual(config.helloTimeoutSeconds, 10)
        XCTAssertEqual(config.idlePingSeconds, 30)
        XCTAssertEqual(config.idleTimeoutSeconds, 75)
        XCTAssertEqual(config.maxConnectionsPerAddress, 200)
        XCTAssertEqual(config.revocationPollSeconds, 1)
    }

    func testHardeningKeysLoadAndAreValidated() throws {
        let config = try ServerConfig.load(path: write("""
            {"loginWorkers": 2, "loginQueueCapacity": 4, "loginAttemptsPerAddress": 5, "loginAttemptsPerUsername": 3,
             "loginThrottleWindowSeconds": 30, "loginThrottleMaxEntries": 100, "helloTimeoutSeconds": 2.5,
             "idlePingSeconds": 5, "idleTimeoutSeconds": 12, "maxConnectionsPerAddress": 50,
             "customerTokenMaxLifetimeSeconds": 3600, "revocationPollSeconds": 0.5}
            """))
        XCTAssertEqual(config.loginWorkers, 2)
        XCTAssertEqual(config.helloTimeoutSeconds, 2.5)
        XCTAssertEqual(config.idleTimeoutSeconds, 12)
        XCTAssertEqual(config.maxConnectionsPerAddress, 50)
        XCTAssertEqual(config.customerTokenMaxLifetimeSeconds, 3600)
        for (json, key) in [(#"{"loginWorkers": 0}"#, "loginWorkers"), (#"{"loginQueueCapacity": 0}"#, "loginQueueCapacity"),
                            (#"{"loginAttemptsPerUsername": 0.5}"#, "loginAttemptsPerUsername"),
                            (#"{"helloTimeoutSeconds": 0}"#, "helloTimeoutSeconds"),
                            (#"{"helloTimeoutSeconds": 1e12}"#, "helloTimeoutSeconds"),
                            (#"{"idlePingSeconds": 30, "idleTimeoutSeconds": 30}"#, "idleTimeoutSeconds"),
                            (#"{"idlePingSeconds": 70000}"#, "idlePingSeconds"),
                            (#"{"maxConnectionsPerAddress": 0}"#, "maxConnectionsPerAddress"),
                            (#"{"customerTokenMaxLifetimeSeconds": -1}"#, "customerTokenMaxLifetimeSeconds"),
                            (#"{"revocationPollSeconds": 0}"#, "revocationPollSeconds"),
                            (#"{"loginThrottleMaxEntries": 1}"#, "loginThrottleMaxEntries")] {
            let message = try loadError(json)
            XCTAssertTrue(message.contains(key), message)
        }
    }
}
