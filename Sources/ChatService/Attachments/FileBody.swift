import Foundation

/// A stored file as a streamed response body, 64 KiB per page: a download never holds the file in memory.
/// Threading: as every `PagedBody`, read on one blocking worker at a time.
final class FileBody: PagedBody, @unchecked Sendable {
    static let pageBytes = 64 * 1024
    private let handle: FileHandle

    init(url: URL) throws { handle = try FileHandle(forReadingFrom: url) }

    deinit { try? handle.close() }

    func nextPage() throws -> (bytes: [UInt8], isLast: Bool) {
        let data = try handle.read(upToCount: Self.pageBytes) ?? Data()
        return ([UInt8](data), data.count < Self.pageBytes)
    }
}
