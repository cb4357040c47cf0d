extension PostgresSchema {
    /// Chat traffic and identities: sessions, events, read markers, organizations and contacts, staff, sign-in
    /// tokens, revocations, staff status, service orders, chat-request ledger, attachments.
    static let core: [PGMigration] = []
}
