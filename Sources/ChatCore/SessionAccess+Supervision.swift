/// Who may use the supervisor's archive tools: the rest of the one home of "who may see what" (`SessionAccess`).
/// Pure; any thread.
///
/// | principal  | export a transcript           | export a list (CSV)     | organization suggestions | audit log |
/// |------------|-------------------------------|-------------------------|--------------------------|-----------|
/// | customer   | no (reads it in the widget)   | no                      | no                       | no        |
/// | agent      | what `mayReadTranscript` gives| their own chats' listing| yes                      | no        |
/// | supervisor | every chat                    | every listing           | yes                      | yes       |
///
/// A list export is scoped exactly as a listing (`TranscriptAccess.scope` in the service).
extension SessionAccess {
    /// Whether `principal` may export one transcript (text, JSON, print HTML): staff who may read it.
    public static func mayExportTranscript(_ principal: Principal, _ record: ChatSessionRecord,
                                           handledBy: Set<StaffID>) -> Bool {
        principal.isStaff && mayReadTranscript(principal, record, handledBy: handledBy)
    }

    /// Whether `principal` may export a (scoped) transcript listing as CSV.
    public static func mayExportListing(_ principal: Principal) -> Bool { principal.isStaff }

    /// Whether `principal` may look up organizations by name (the filter's suggestions).
    public static func mayLookUpOrganizations(_ principal: Principal) -> Bool { principal.isStaff }

    /// Whether `principal` may read the audit log of transcript reads and exports: supervisors only.
    public static func mayReadAudit(_ principal: Principal) -> Bool {
        if case .staff(let identity) = principal { return identity.role == .supervisor }
        return false
    }
}
