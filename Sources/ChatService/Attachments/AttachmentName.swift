import Foundation

/// The file name of an attachment, made safe to store, show and send back in `Content-Disposition`. Pure.
enum AttachmentName {
    /// The last path component of `raw` (either slash), without control characters or quotes, at most 255 UTF-8
    /// bytes (cut on a character boundary); "attachment" when nothing is left.
    static func sanitize(_ raw: String) -> String {
        let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var name = String(String.UnicodeScalarView(last.unicodeScalars.filter { scalar in
            !(scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
              || scalar == "\"" || scalar == "\u{2028}" || scalar == "\u{2029}")
        })).trimmingCharacters(in: .whitespaces)
        while name.utf8.count > 255 { name.removeLast() }
        if name.isEmpty || name == "." || name == ".." { return "attachment" }
        return name
    }

    /// `inline` or `attachment`, with an ASCII fallback name and the exact UTF-8 name (RFC 6266, RFC 8187).
    static func contentDisposition(_ name: String, inline: Bool) -> String {
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0 != "\\" && $0 != "\"" ? Character($0) : "_" })
        let allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
            .union(CharacterSet(charactersIn: "!#$&+-.^_`|~"))
        let encoded = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? ascii
        return "\(inline ? "inline" : "attachment"); filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
