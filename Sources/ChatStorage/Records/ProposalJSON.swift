import ChatCore
import Foundation

/// Professional-services proposals are stored as JSON text (rare, small, read whole).
enum ProposalJSON {
    static func encode(_ proposal: ServicesProposal?) -> String? {
        guard let proposal, let data = try? JSONEncoder().encode(proposal) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String?) throws -> ServicesProposal? {
        guard let text else { return nil }
        do {
            return try JSONDecoder().decode(ServicesProposal.self, from: Data(text.utf8))
        } catch {
            throw StorageError.corruptRow("unreadable services proposal: \(error)")
        }
    }
}
