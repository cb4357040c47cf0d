import ChatCore
import Foundation
import XCTest
import ChatStorage
@testable import ChatService

/// The allow-list is judged by content: magic bytes, image dimensions from headers, UTF-8 text; plus names,
/// hashing and the upload file's life.
final class AttachmentSniffingTests: XCTestCase {
    static func png(_ w: UInt32, _ h: UInt32) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
            + be32(w) + be32(h) + [8, 2, 0, 0, 0]
    }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }

    func sniff(_ bytes: [UInt8], text: Bool = false) -> String? {
        guard let (kind, w, h) = AttachmentKind.sniff(bytes, isText: text) else { return nil }
        return "\(kind) \(w.map(String.init) ?? "-")x\(h.map(String.init) ?? "-")"
    }

    func testImagesAreRecognizedWithTheirDimensions() {
        XCTAssertEqual(sniff(Self.png(1920, 1080)), "png 1920x1080")
        XCTAssertEqual(sniff(Array("GIF89a".utf8) + [0x40, 0x01, 0xF0, 0x00, 0, 0]), "gif 320x240")
        XCTAssertEqual(sniff(Array("GIF87a".utf8) + [1, 0, 1, 0]), "gif 1x1")
        // JPEG: SOI, an APP0 segment to skip, then SOF0 (length 17, precision 8, height 480, width 640).
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF\0".utf8) + [1, 1, 0, 0, 1, 0, 1, 0, 0]
            + [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03] + [UInt8](repeating: 0, count: 9)
        XCTAssertEqual(sniff(jpeg), "jpeg 640x480")
        // A progressive JPEG (SOF2) after a DHT (C4, not a frame header).
        let progressive: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x03, 0x00, 0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x00, 0x10,
                                    0x00, 0x20, 0x01, 0, 0, 0]
        XCTAssertEqual(sniff(progressive), "jpeg 32x16")
        func riff(_ chunk: String, _ body: [UInt8]) -> [UInt8] {
            Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBP".utf8) + Array(chunk.utf8) + [0, 0, 0, 0] + body
                + [UInt8](repeating: 0, count: 16)
        }
        XCTAssertEqual(sniff(riff("VP8 ", [0, 0, 0, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01])), "webp 640x480")
        // VP8L: signature 0x2F, then 14 bits width-1 (99) and 14 bits height-1 (49).
        let bits: UInt32 = 99 | 49 << 14
        XCTAssertEqual(sniff(riff("VP8L", [0x2F, UInt8(bits & 255), UInt8(bits >> 8 & 255), UInt8(bits >> 16 & 255),
                                           UInt8(bits >> 24)])), "webp 100x50")
        XCTAssertEqual(sniff(riff("VP8X", [0, 0, 0, 0, 0x7F, 0x07, 0x00, 0x37, 0x04, 0x00])), "webp 1920x1080")
    }

    func testDocumentsTextAndRefusals() {
        XCTAssertEqual(sniff(Array("%PDF-1.7\n".utf8)), "pdf -x-")
        XCTAssertEqual(sniff(Array("2026-11-30 error\n".utf8), text: true), "text -x-")
        XCTAssertNil(sniff(Array("2026-11-30 error\n".utf8), text: false), "text only when the whole file is UTF-8")
        XCTAssertNil(sniff([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1]), "an executable")
        XCTAssertNil(sniff(Array("PK\u{3}\u{4}".utf8)), "a zip")
        XCTAssertNil(sniff(Array(Self.png(1, 1).prefix(20))), "a PNG cut before its size")
        XCTAssertNil(sniff([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02]), "a JPEG without a frame header")
        XCTAssertNil(sniff([], text: true), "empty")
    }

    func testNamesClaimingAFormatMustMatchIt() {
        XCTAssertEqual(AttachmentKind.claimed(byName: "cat.PNG"), .png)
        XCTAssertEqual(AttachmentKind.claimed(byName: "a.b.jpeg"), .jpeg)
        XCTAssertEqual(AttachmentKind.claimed(byName: "spool.log"), nil)
        XCTAssertEqual(AttachmentKind.claimed(byName: "README"), nil)
    }

    func testUTF8CheckAcrossChunks() {
        func check(_ chunks: [[UInt8]]) -> Bool {
            var c = UTF8TextCheck()
            for chunk in chunks { c.feed(chunk) }
            return c.isComplete
        }
        let euro = Array("€".utf8)  // E2 82 AC
        XCTAssertTrue(check([Array("price ".utf8) + euro.prefix(1), Array(euro.dropFirst()), Array(" 5\n".utf8)]))
        XCTAssertTrue(check([Array("😀 ok".utf8)]))
        XCTAssertFalse(check([Array("abc".utf8) + [0], Array("def".utf8)]), "NUL")
        XCTAssertFalse(check([euro.prefix(2).map { $0 }]), "cut off at the end")
        XCTAssertFalse(check([[0xC0, 0x80]]), "overlong NUL")
        XCTAssertFalse(check([[0xED, 0xA0, 0x80]]), "a surrogate")
        XCTAssertFalse(check([[0xF4, 0x90, 0x80, 0x80]]), "above U+10FFFF")
        XCTAssertFalse(check([[0x80]]), "a lone continuation byte")
    }

    func testSHA256StreamMatchesTheOneShotDigest() {
        let data = [UInt8]((0..<100_000).map { UInt8($0 % 251) })
        let stream = SHA256Stream()
        var i = 0
        for size in [1, 63, 64, 65, 4096, 70_000] where i < data.count {
            stream.update(Array(data[i..<min(data.count, i + size)]))
            i += size
        }
        stream.update(Array(data[min(i, data.count)...]))
        XCTAssertEqual(stream.finish(), Crypto.sha256Hex(data))
        let empty = SHA256Stream()
        XCTAssertEqual(empty.finish(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testNamesAreMadeSafe() {
        XCTAssertEqual(AttachmentName.sanitize("../../etc/passwd"), "passwd")
        XCTAssertEqual(AttachmentName.sanitize("C:\\Users\\me\\shot.png"), "shot.png")
        XCTAssertEqual(AttachmentName.sanitize("a\u{0}b\u{7}\"c\".txt"), "abc.txt")
        XCTAssertEqual(AttachmentName.sanitize(""), "attachment")
        XCTAssertEqual(AttachmentName.sanitize(".."), "attachment")
        XCTAssertEqual(AttachmentName.sanitize(String(repeating: "é", count: 200)).utf8.count, 254)
        XCTAssertEqual(AttachmentName.contentDisposition("Größe 1.png", inline: true),
                       "inline; filename=\"Gr__e 1.png\"; filename*=UTF-8''Gr%C3%B6%C3%9Fe%201.png")
    }

    func testAnUploadIsHashedSniffedAndMovedOrLeavesNothing() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("att-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let files = AttachmentFiles(root: root)
        let image = Self.png(3, 2) + [UInt8](repeating: 7, count: 1000)
        let upload = try AttachmentUpload(files: files)
        try upload.write(Array(image.prefix(10)))
        try upload.write(Array(image.dropFirst(10)))
        let info = try upload.finish(name: "x.png").get()
        XCTAssertEqual(info.type, "image/png")
        XCTAssertEqual([info.width, info.height], [3, 2])
        XCTAssertEqual(info.size, Int64(image.count))
        let stored = try XCTUnwrap(files.url(forSHA256: info.sha256))
        XCTAssertEqual(try [UInt8](Data(contentsOf: stored)), image)

        let fake = try AttachmentUpload(files: files)
        try fake.write(Array("not a picture".utf8))
        XCTAssertEqual(try fake.finish(name: "cat.png").map(\.type), .failure(ChatError(.unsupportedAttachment, "The file is named like image/png but its content is not.")))
        let cut = try AttachmentUpload(files: files)
        try cut.write([1, 2, 3])
        cut.discard()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: files.incomingDirectory.path), [])
    }
}
