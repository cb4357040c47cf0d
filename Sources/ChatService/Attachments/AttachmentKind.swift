/// What an upload's content is, judged by its bytes (magic numbers and headers), never by its name or the
/// client's Content-Type. The allow-list is this enum: PNG, JPEG, GIF and WebP images, PDF, and plain-text logs
/// (valid UTF-8 without NUL bytes). Pure.
enum AttachmentKind: Equatable {
    case png, jpeg, gif, webp, pdf, text

    var mediaType: String {
        switch self {
        case .png: return "image/png"
        case .jpeg: return "image/jpeg"
        case .gif: return "image/gif"
        case .webp: return "image/webp"
        case .pdf: return "application/pdf"
        case .text: return "text/plain; charset=utf-8"
        }
    }

    /// Shown inline in the pages (`Content-Disposition: inline`); everything else downloads as a file.
    var isImage: Bool { self == .png || self == .jpeg || self == .gif || self == .webp }

    /// The kind a file name's extension claims, for the kinds that have a fixed format (a text log may be named
    /// anything): an upload whose content disagrees with its name (text named `.png`) is refused, so that
    /// nobody is shown a "picture" that is something else.
    static func claimed(byName name: String) -> AttachmentKind? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": return .png
        case "jpg", "jpeg", "jfif": return .jpeg
        case "gif": return .gif
        case "webp": return .webp
        case "pdf": return .pdf
        default: return nil
        }
    }

    /// How many leading bytes `sniff` wants (a JPEG's frame header may follow large EXIF/ICC segments).
    static let prefixBytes = 256 * 1024

    /// The kind and, for images, the pixel dimensions, from the file's first bytes. `isText`: the whole file
    /// passed ``UTF8TextCheck``. Nil: not on the allow-list (or an image whose header is unreadable).
    static func sniff(_ prefix: [UInt8], isText: Bool) -> (AttachmentKind, width: Int?, height: Int?)? {
        let b = prefix
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            // IHDR is the first chunk: length(4) "IHDR"(4) width(4, BE) height(4, BE).
            guard b.count >= 24, Array(b[12..<16]) == Array("IHDR".utf8) else { return nil }
            return (.png, be32(b, 16), be32(b, 20))
        }
        if b.starts(with: Array("GIF87a".utf8)) || b.starts(with: Array("GIF89a".utf8)) {
            guard b.count >= 10 else { return nil }
            return (.gif, le16(b, 6), le16(b, 8))
        }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) {
            guard let (w, h) = jpegDimensions(b) else { return nil }
            return (.jpeg, w, h)
        }
        if b.count >= 16, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) {
            guard let (w, h) = webpDimensions(b) else { return nil }
            return (.webp, w, h)
        }
        if b.starts(with: Array("%PDF-".utf8)) { return (.pdf, nil, nil) }
        if isText && !b.isEmpty { return (.text, nil, nil) }
        return nil
    }

    /// Walks the JPEG segments to the first start-of-frame (SOF0-SOF15 but DHT C4, JPG C8, DAC CC).
    static func jpegDimensions(_ b: [UInt8]) -> (Int, Int)? {
        var i = 2
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }  // no length
            let length = be16(b, i + 2)
            guard length >= 2 else { return nil }
            if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
                // length(2) precision(1) height(2) width(2)
                guard i + 9 <= b.count else { return nil }
                return (be16(b, i + 7), be16(b, i + 5))
            }
            if marker == 0xDA || marker == 0xD9 { return nil }  // scan data or end before any frame header
            i += 2 + length
        }
        return nil
    }

    /// The canvas of a simple lossy (VP8), lossless (VP8L) or extended (VP8X) WebP.
    static func webpDimensions(_ b: [UInt8]) -> (Int, Int)? {
        guard b.count >= 30 else { return nil }
        switch String(decoding: b[12..<16], as: UTF8.self) {
        case "VP8 ":
            // Frame tag (3) then start code 9D 01 2A, then 14-bit width and height, little-endian.
            guard b[23] == 0x9D, b[24] == 0x01, b[25] == 0x2A else { return nil }
            return (le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF)
        case "VP8L":
            guard b[20] == 0x2F else { return nil }
            let bits = UInt32(b[21]) | UInt32(b[22]) << 8 | UInt32(b[23]) << 16 | UInt32(b[24]) << 24
            return (Int(bits & 0x3FFF) + 1, Int((bits >> 14) & 0x3FFF) + 1)
        case "VP8X":
            return (le24(b, 24) + 1, le24(b, 27) + 1)
        default:
            return nil
        }
    }

    private static func be16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
    private static func le16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func le24(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 }
    private static func be32(_ b: [UInt8], _ i: Int) -> Int {
        Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
    }
}
