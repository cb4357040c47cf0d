import Foundation

/// A file uploaded into a chat, as its `attachment` event carries it. The bytes live in storage's content-addressed
/// file store under `sha256`; the event is the only link from a chat to a file (retention deletes a file once no
/// chat's event names it). The download id is `<chat id>-<seq of the event>`, so that reading one is authorized
/// exactly like reading that chat's transcript.
public struct AttachmentInfo: Sendable, Equatable, Codable {
    /// The file name the uploader gave, made safe (no path, no control characters), at most 255 bytes.
    public var name: String
    public var size: Int64
    /// The media type sniffed from the content (`image/png`, `application/pdf`, `text/plain`, ...), never the
    /// name's or the client's.
    public var type: String
    /// Hex SHA-256 of the content.
    public var sha256: String
    /// Pixel dimensions of an image, read from its header.
    public var width: Int?
    public var height: Int?

    public init(name: String, size: Int64, type: String, sha256: String, width: Int? = nil, height: Int? = nil) {
        self.name = name
        self.size = size
        self.type = type
        self.sha256 = sha256
        self.width = width
        self.height = height
    }

    public var isImage: Bool { type.hasPrefix("image/") }

    /// The download id of the attachment carried by event `seq` of chat `sessionID`.
    public static func downloadID(sessionID: SessionID, seq: Seq) -> String { "\(sessionID)-\(seq)" }

    /// Parses a download id back into (chat, seq); nil when malformed.
    public static func parseDownloadID(_ text: String) -> (SessionID, Seq)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let session = SessionID(parts[0]), let seq = Seq(parts[1]), session > 0, seq > 0 else {
            return nil
        }
        return (session, seq)
    }
}

/// How the engine answered an upload's request for an `attachment` event.
public enum AttachmentOutcome: Sendable, Equatable {
    /// The event is on disk (and delivered to the chat's followers).
    case committed(SessionEvent)
    case refused(ChatError)
}
