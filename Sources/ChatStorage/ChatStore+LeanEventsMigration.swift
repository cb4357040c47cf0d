import GRDB

// # Schema, v8-lean-events (issue 10: bytes written per message)
//
// - `session_events_by_author_client_id` is dropped. Every message dirtied its own leaf of that index in every
//   commit (a random place among the session's client ids). Idempotency does not need it: the engine keeps every
//   open chat's client ids in memory (recovered from the events at start) and never appends a second event for one;
//   a resend to a closed chat is answered by reading that chat's events (`ChatStore.event(sessionID:key:)`).
extension ChatStore {
    static func registerLeanEventsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-lean-events") { db in
            try db.execute(sql: "DROP INDEX session_events_by_author_client_id")
        }
    }
}
