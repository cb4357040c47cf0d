import ChatCore

/// The PostgreSQL backend answers every storage call (PostgresStore+*.swift); its writer is `PostgresWriter`.
extension PostgresStore: StorageBackend {}
