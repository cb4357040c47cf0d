import Foundation
import XCTest
@testable import ChatService

/// The `storage` and `cluster` sections of the configuration file: what they accept and how they refuse.
final class StorageAndClusterConfigTests: XCTestCase {
    func decode(_ json: String) throws -> ServerConfig {
        try JSONDecoder().decode(ServerConfig.self, from: Data(json.utf8))
    }

    func message(_ json: String) -> String {
        do {
            let config = try decode(json)
            try config.validate()
            XCTFail("expected a refusal for \(json)")
            return ""
        } catch let error as ConfigurationError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    func testSQLiteIsTheDefaultAndPostgresTakesAURL() throws {
        XCTAssertEqual(try decode("{}").storage, .sqlite)
        XCTAssertNil(try decode("{}").cluster)
        let pg = try decode(#"{"storage": {"kind": "postgres", "url": "postgresql://chatd@127.0.0.1:5432/chatd"}}"#)
        XCTAssertEqual(pg.storage, StorageSettings(kind: .postgres, url: "postgresql://chatd@127.0.0.1:5432/chatd"))
    }

    func testBadStorageSectionsAreRefusedByName() {
        XCTAssertTrue(message(#"{"storage": {"kind": "mysql"}}"#).contains("storage.kind: \"mysql\""))
        if ProcessInfo.processInfo.environment["CHATD_POSTGRES_URL"] == nil {
            XCTAssertTrue(message(#"{"storage": {"kind": "postgres"}}"#).contains("storage.url"))
        }
    }

    func testClusterSectionDefaultsAndRanges() throws {
        let json = #"{"storage": {"kind": "postgres", "url": "postgresql://x/y"}, "cluster": {"node": 3, "redisURL": "redis://127.0.0.1:6379"}}"#
        let config = try decode(json)
        try config.validate()
        let cluster = try XCTUnwrap(config.cluster)
        XCTAssertEqual([cluster.leaseSeconds, cluster.heartbeatSeconds, cluster.nodeTimeoutSeconds], [5, 1, 4])
        XCTAssertEqual(cluster.leaderChannel, "chatd:leader")
        XCTAssertEqual(cluster.nodeChannel(3), "chatd:node:3")
    }

    func testBadClusterSectionsAreRefusedByName() {
        let pg = #""storage": {"kind": "postgres", "url": "postgresql://x/y"}"#
        XCTAssertTrue(message(#"{"cluster": {"node": 1, "redisURL": "redis://h:1"}}"#).contains("storage.kind \"postgres\""),
                      "a cluster on SQLite")
        XCTAssertTrue(message("{\(pg), \"cluster\": {\"node\": 0, \"redisURL\": \"redis://h:1\"}}").contains("cluster.node"))
        XCTAssertTrue(message("{\(pg), \"cluster\": {\"node\": 1, \"redisURL\": \"http://h:1\"}}").contains("cluster.redisURL"))
        XCTAssertTrue(message("{\(pg), \"cluster\": {\"node\": 1, \"redisURL\": \"redis://h:1\", \"leaseSeconds\": 1}}")
            .contains("cluster.leaseSeconds"))
        XCTAssertTrue(message("{\(pg), \"cluster\": {\"node\": 1, \"redisURL\": \"redis://h:1\", \"name\": \"a b\"}}")
            .contains("cluster.name"))
        XCTAssertTrue(message("{\(pg), \"cluster\": {\"node\": 1, \"redisURL\": \"redis://h:1\", \"lease\": 3}}")
            .contains("cluster: unknown key \"lease\""))
    }
}
