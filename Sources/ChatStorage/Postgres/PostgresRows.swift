import ChatCore
import Foundation

/// Reading domain values out of `PGResult` rows, and writing arrays as PostgreSQL array literals (for the
/// writer's multi-row `INSERT ... SELECT FROM unnest(...)`). Column lists are spelled once here so that every
/// select decodes by position.
///
/// Plain functions over values; any thread (a `PGResult` is read on the thread that ran its statement).
enum PGRows {
    /// The columns `session(_:_:)` decodes, in order (`last_seq` last).
    static let sessionColumns = """
        id, organization_id, contact_id, customer_name, customer_email, product_id, subject, state, agent_id, agent_name,
        created_at, queued_at, closed_at, request_client_id, budget_limit, budget_used, budget_running_since,
        budget_stage, pending_proposal, ticket_number, wait_offer, last_seq
        """
    static let sessionLastSeqColumn = 21

    /// The columns `event(_:_:)` decodes, in order.
    static let eventColumns = """
        session_id, seq, at, kind, author_role, author_id, author_name, text, client_msg_id, agent_id, agent_name,
        reason, ticket_number, proposal, attachment
        """

    /// `eventColumns`, each qualified with a table alias (`e.session_id, e.seq, ...`).
    static func eventColumns(qualifiedBy alias: String) -> String {
        eventColumns.split(separator: ",").map { alias + "." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
    }

    static func session(_ rows: PGResult, _ row: Int) throws -> ChatSessionRecord {
        let stateValue = rows.string(row, 7) ?? ""
        guard let state = SessionState(rawValue: stateValue) else {
            throw StorageError.corruptRow("unknown session state \"\(stateValue)\"")
        }
        let stageValue = rows.string(row, 17) ?? ""
        guard let stage = QuickQuestionBudget.Stage(rawValue: stageValue) else {
            throw StorageError.corruptRow("unknown budget stage \"\(stageValue)\"")
        }
        let waitValue = rows.string(row, 20) ?? ""
        guard let waitOffer = WaitOfferStage(rawValue: waitValue) else {
            throw StorageError.corruptRow("unknown wait offer \"\(waitValue)\"")
        }
        let organizationID = rows.string(row, 1) ?? ""
        let budget = QuickQuestionBudget(limitSeconds: rows.double(row, 14) ?? 0, usedSeconds: rows.double(row, 15) ?? 0,
                                         runningSince: rows.date(row, 16), stage: stage)
        var record = ChatSessionRecord(
            id: rows.int(row, 0) ?? 0, organizationID: organizationID,
            customer: CustomerIdentity(organizationID: organizationID, contactID: rows.string(row, 2) ?? "",
                                       name: rows.string(row, 3) ?? "", email: rows.string(row, 4) ?? ""),
            productID: rows.string(row, 5) ?? "", subject: rows.string(row, 6) ?? "", state: state,
            agent: rows.int(row, 8).map { StaffRef(id: $0, name: rows.string(row, 9) ?? "") },
            createdAt: rows.date(row, 10) ?? Date(timeIntervalSince1970: 0), queuedAt: rows.date(row, 11),
            closedAt: rows.date(row, 12), requestClientID: rows.string(row, 13), budget: budget,
            pendingProposal: try ProposalJSON.decode(rows.string(row, 18)), ticketNumber: rows.int(row, 19))
        record.waitOffer = waitOffer
        return record
    }

    static func event(_ rows: PGResult, _ row: Int) throws -> SessionEvent {
        let kindValue = rows.string(row, 3) ?? ""
        guard let kind = SessionEventKind(rawValue: kindValue) else {
            throw StorageError.corruptRow("unknown event kind \"\(kindValue)\"")
        }
        let roleValue = rows.string(row, 4) ?? ""
        guard let role = Participant.Role(rawValue: roleValue) else {
            throw StorageError.corruptRow("unknown author role \"\(roleValue)\"")
        }
        return SessionEvent(
            sessionID: rows.int(row, 0) ?? 0, seq: rows.int(row, 1) ?? 0,
            at: rows.date(row, 2) ?? Date(timeIntervalSince1970: 0), kind: kind,
            author: Participant(role: role, id: rows.string(row, 5) ?? "", name: rows.string(row, 6) ?? ""),
            text: rows.string(row, 7), clientMessageID: rows.string(row, 8),
            agent: rows.int(row, 9).map { StaffRef(id: $0, name: rows.string(row, 10) ?? "") },
            reason: rows.string(row, 11), ticketNumber: rows.int(row, 12),
            proposal: try ProposalJSON.decode(rows.string(row, 13)),
            attachment: try AttachmentJSON.decode(rows.string(row, 14)))
    }

    static func events(_ rows: PGResult) throws -> [SessionEvent] {
        try (0..<rows.count).map { try event(rows, $0) }
    }

    static func staff(_ rows: PGResult, _ row: Int) throws -> StaffIdentity {
        let roleValue = rows.string(row, "role") ?? ""
        guard let role = StaffRole(rawValue: roleValue) else {
            throw StorageError.corruptRow("unknown staff role \"\(roleValue)\"")
        }
        return StaffIdentity(id: rows.int(row, "id") ?? 0, username: rows.string(row, "username") ?? "",
                             name: rows.string(row, "name") ?? "", role: role)
    }

    // MARK: Array literals

    /// `{1,2,NULL}`.
    static func intArray(_ values: [Int64?]) -> PGValue {
        .text("{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}")
    }

    /// `{0.25,NULL}`; Swift's description of a Double reads back exactly.
    static func doubleArray(_ values: [Double?]) -> PGValue {
        .text("{" + values.map { $0.map { "\($0)" } ?? "NULL" }.joined(separator: ",") + "}")
    }

    /// `{"a \"quoted\" word",NULL}`. PostgreSQL text cannot hold U+0000 (and libpq parameters are C strings):
    /// such a value throws `StorageError` `invalid_text`, a failure of that write alone.
    static func textArray(_ values: [String?]) throws -> PGValue {
        var literal = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { literal += "," }
            guard let value else {
                literal += "NULL"
                continue
            }
            try checkText(value)
            literal += "\""
            for character in value.unicodeScalars {
                if character == "\\" || character == "\"" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return .text(literal + "}")
    }

    /// Throws `invalid_text` for a string PostgreSQL cannot store (U+0000).
    static func checkText(_ value: String) throws {
        if value.utf8.contains(0) {
            throw StorageError(code: "invalid_text", message: "Text containing U+0000 cannot be stored.")
        }
    }
}
