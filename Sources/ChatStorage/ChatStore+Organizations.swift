import ChatCore
import Foundation
import GRDB

extension ChatStore {
    // MARK: Reads

    /// The organization with this id and its registered contacts, or nil.
    ///
    /// Blocking; any thread but the lws service thread.
    public func organization(id: OrganizationID) throws -> OrganizationRecord? {
        try dbPool.read { db in
            guard let row = try OrganizationRow.fetchOne(db, sql: "SELECT * FROM organizations WHERE id = ?",
                                                         arguments: [id]) else { return nil }
            let contacts = try String.fetchAll(
                db, sql: "SELECT contact_id FROM organization_contacts WHERE organization_id = ?", arguments: [id])
            return row.record(contacts: Set(contacts))
        }
    }

    /// Every organization with its registered contacts, ordered by id.
    ///
    /// Blocking; any thread but the lws service thread.
    public func organizations() throws -> [OrganizationRecord] {
        try dbPool.read { db in
            let rows = try OrganizationRow.fetchAll(db, sql: "SELECT * FROM organizations ORDER BY id")
            var contacts: [OrganizationID: Set<ContactID>] = [:]
            for contact in try OrganizationContactRow.fetchAll(db, sql: "SELECT * FROM organization_contacts") {
                contacts[contact.organizationID, default: []].insert(contact.contactID)
            }
            return rows.map { $0.record(contacts: contacts[$0.id] ?? []) }
        }
    }

    // MARK: Admin writes (admin CLI; never the engine)

    /// Adds an organization with no registered contacts. `regionID` nil means the policy's default region
    /// (the caller validates it against the policy).
    ///
    /// Blocking; any thread but the lws service thread.
    /// - Throws: `StorageError` `organization_exists` if the id is taken.
    public func createOrganization(id: OrganizationID, name: String, planID: String, regionID: String? = nil,
                                   createdAt: Date = Date()) throws {
        do {
            try dbPool.write { db in
                try db.execute(sql: OrganizationRow.insertSQL,
                               arguments: [id, name, planID, createdAt.timeIntervalSince1970, regionID])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StorageError.organizationExists(id)
        }
    }

    /// Moves an organization to another plan tier. Registered contacts are kept.
    ///
    /// Blocking; any thread but the lws service thread.
    /// - Throws: `StorageError` `not_found` if there is no such organization.
    public func setOrganizationPlan(id: OrganizationID, planID: String) throws {
        let changed = try dbPool.write { db in
            try db.execute(sql: "UPDATE organizations SET plan_id = ? WHERE id = ?", arguments: [planID, id])
            return db.changesCount
        }
        if changed == 0 { throw StorageError.notFound("The organization \"\(id)\"") }
    }

    /// Moves an organization to another support region (nil: the policy's default). The caller validates the
    /// region against the policy.
    ///
    /// Blocking; any thread but the lws service thread.
    /// - Throws: `StorageError` `not_found` if there is no such organization.
    public func setOrganizationRegion(id: OrganizationID, regionID: String?) throws {
        let changed = try dbPool.write { db in
            try db.execute(sql: "UPDATE organizations SET region_id = ? WHERE id = ?", arguments: [regionID, id])
            return db.changesCount
        }
        if changed == 0 { throw StorageError.notFound("The organization \"\(id)\"") }
    }
}
