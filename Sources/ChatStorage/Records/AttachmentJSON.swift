import ChatCore
import Foundation

/// An `attachment` event's file is stored as JSON text in `events.attachment` (v17-attachments).
enum AttachmentJSON {
    static func encode(_ attachment: AttachmentInfo?) -> String? {
        guard let attachment, let data = try? JSONEncoder().encode(attachment) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String?) throws -> AttachmentInfo? {
        guard let text else { return nil }
        do {
            return try JSONDecoder().decode(AttachmentInfo.self, from: Data(text.utf8))
        } catch {
            throw StorageError.corruptRow("unreadable attachment: \(error)")
        }
    }
}
