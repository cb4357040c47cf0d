import ChatCore
import Foundation

/// Organizations and their registered contacts (as `ChatStore+Organizations.swift`), and the name lookups of the
/// transcript reader (`organizationNames`, `organizations(matchingPrefix:limit:)`).
///
/// Threading: blocking and thread-safe (a pooled connection per call); any thread but the lws service thread.
/// The admin writes are the admin CLI's, never the engine's.
extension PostgresStore {
    /// The organization with this id and its registered contacts, or nil.
    public func organization(id: OrganizationID) throws -> OrganizationRecord? {
        try snapshot { try Self.organizations($0, ids: [id]).first }
    }

    /// Every organization with its registered contacts, ordered by id.
    public func organizations() throws -> [OrganizationRecord] {
        try snapshot { try Self.organizations($0, ids: nil) }
    }

    /// Adds an organization with no registered contacts. Throws `organization_exists` if the id is taken.
    public func createOrganization(id: OrganizationID, name: String, planID: String, regionID: String? = nil,
                                   createdAt: Date = Date()) throws {
        do {
            _ = try pool.with { c in
                try c.execute("""
                    INSERT INTO organizations (id, name, plan_id, created_at, region_id) VALUES ($1, $2, $3, $4, $5)
                    """, [.text(id), .text(name), .text(planID), pg(createdAt), pg(regionID)])
            }
        } catch let error as PGError where error.isUniqueViolation {
            throw StorageError.organizationExists(id)
        }
    }

    /// Moves an organization to another plan tier. Throws `not_found` if there is no such organization.
    public func setOrganizationPlan(id: OrganizationID, planID: String) throws {
        let changed = try pool.with { c in
            try c.execute("UPDATE organizations SET plan_id = $1 WHERE id = $2", [.text(planID), .text(id)]).affectedRows
        }
        if changed == 0 { throw StorageError.notFound("The organization \"\(id)\"") }
    }

    /// Moves an organization to another support region (nil: the policy's default). Throws `not_found`.
    public func setOrganizationRegion(id: OrganizationID, regionID: String?) throws {
        let changed = try pool.with { c in
            try c.execute("UPDATE organizations SET region_id = $1 WHERE id = $2", [pg(regionID), .text(id)]).affectedRows
        }
        if changed == 0 { throw StorageError.notFound("The organization \"\(id)\"") }
    }

    /// Display names of these organizations, by id (unknown ids are left out).
    public func organizationNames(ids: Set<OrganizationID>) throws -> [OrganizationID: String] {
        guard !ids.isEmpty else { return [:] }
        return try pool.with { c in
            let rows = try c.execute("SELECT id, name FROM organizations WHERE id = ANY($1::text[])",
                                     [try PGRows.textArray(Array(ids))])
            var names: [OrganizationID: String] = [:]
            for row in 0..<rows.count { names[rows.string(row, 0) ?? ""] = rows.string(row, 1) ?? "" }
            return names
        }
    }

    /// Organizations whose name or id starts with `prefix` (case-insensitively), by name; at most `limit`.
    public func organizations(matchingPrefix prefix: String, limit: Int) throws -> [(id: OrganizationID, name: String)] {
        let pattern = prefix.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        return try pool.with { c in
            let rows = try c.execute("""
                SELECT id, name FROM organizations WHERE name ILIKE $1 OR id ILIKE $1
                ORDER BY lower(name) COLLATE "C", id LIMIT $2
                """, [.text(pattern), .int(Int64(max(1, limit)))])
            return (0..<rows.count).map { (id: rows.string($0, 0) ?? "", name: rows.string($0, 1) ?? "") }
        }
    }

    /// The organizations with these ids (all when nil) with their contacts, ordered by id.
    static func organizations(_ c: PGConnection, ids: [OrganizationID]?) throws -> [OrganizationRecord] {
        let filter = ids == nil ? "" : "WHERE id = ANY($1::text[])"
        let contactFilter = ids == nil ? "" : "WHERE organization_id = ANY($1::text[])"
        let parameters: [PGValue?] = try ids.map { [try PGRows.textArray($0)] } ?? []
        let rows = try c.execute("""
            SELECT id, name, plan_id, region_id FROM organizations \(filter) ORDER BY id
            """, parameters)
        let contactRows = try c.execute("""
            SELECT organization_id, contact_id FROM organization_contacts \(contactFilter)
            """, parameters)
        var contacts: [OrganizationID: Set<ContactID>] = [:]
        for row in 0..<contactRows.count {
            contacts[contactRows.string(row, 0) ?? "", default: []].insert(contactRows.string(row, 1) ?? "")
        }
        return (0..<rows.count).map { row in
            let id = rows.string(row, 0) ?? ""
            return OrganizationRecord(id: id, name: rows.string(row, 1) ?? "", planID: rows.string(row, 2) ?? "",
                                      authorizedContacts: contacts[id] ?? [], regionID: rows.string(row, 3))
        }
    }
}
