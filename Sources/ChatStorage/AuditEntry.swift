import ChatCore
import Foundation

/// What a staff member did with transcripts, as recorded in the audit log.
public enum AuditAction: String, Sendable, Equatable, CaseIterable {
    /// Read one page of a transcript (`target`: the session id; `detail`: the page asked for).
    case transcriptRead = "transcript_read"
    /// Listed or searched transcripts (`detail`: the filter).
    case transcriptList = "transcript_list"
    /// Searched transcripts by their words (`detail`: the query and filters).
    case transcriptSearch = "transcript_search"
    /// Exported one transcript (`target`: the session id; `detail`: the format).
    case transcriptExport = "transcript_export"
    /// Exported a filtered list of transcripts as CSV (`detail`: the filter).
    case listExport = "list_export"
    /// Read the audit log itself (`detail`: the filter).
    case auditRead = "audit_read"
    /// Erased a person's personal data (`chatd admin erase-contact`; `target`: organization/contact; staff id 0,
    /// the operating-system user as the name, address `local`).
    case contactErase = "contact_erase"
    /// Exported everything held about a person (`chatd admin export-contact`; recorded like `contact_erase`).
    case contactExport = "contact_export"
}

/// One row of the append-only audit log. Plain value; safe on any thread.
public struct AuditEntry: Sendable, Equatable {
    /// Assigned by the store (0 before it is appended); never reused; newest entries have the highest ids.
    public var id: Int64
    public var at: Date
    public var staffID: StaffID
    /// The staff member's name and role when they acted (copied in: accounts may change later).
    public var staffName: String
    public var staffRole: StaffRole
    public var action: AuditAction
    /// A session id for reads and exports of one transcript; nil for listings.
    public var target: String?
    /// The page, format or filter, as text.
    public var detail: String?
    /// The client's IP address as the transport saw it ("" if unknown).
    public var address: String

    public init(id: Int64 = 0, at: Date, staffID: StaffID, staffName: String, staffRole: StaffRole,
                action: AuditAction, target: String? = nil, detail: String? = nil, address: String) {
        self.id = id
        self.at = at
        self.staffID = staffID
        self.staffName = staffName
        self.staffRole = staffRole
        self.action = action
        self.target = target
        self.detail = detail
        self.address = address
    }
}

/// Which audit entries a listing returns, newest first. Every criterion that is set must match (AND).
public struct AuditFilter: Sendable, Equatable {
    public static let maxLimit = 500

    public var staffID: StaffID?
    public var action: AuditAction?
    /// At or after this instant.
    public var from: Date?
    /// Strictly before this instant.
    public var to: Date?
    /// Keyset cursor: only entries with an id below this one (the previous page's `nextBefore`).
    public var beforeID: Int64?
    public var limit: Int

    public init(staffID: StaffID? = nil, action: AuditAction? = nil, from: Date? = nil, to: Date? = nil,
                beforeID: Int64? = nil, limit: Int = 100) {
        self.staffID = staffID
        self.action = action
        self.from = from
        self.to = to
        self.beforeID = beforeID
        self.limit = limit
    }

    /// `limit` clamped to `1...maxLimit`.
    public var effectiveLimit: Int { min(max(limit, 1), Self.maxLimit) }
}

/// One page of the audit log.
public struct AuditPage: Sendable, Equatable {
    public var entries: [AuditEntry]
    /// Pass as `beforeID` for the next (older) page; nil on the last page.
    public var nextBefore: Int64?
}
