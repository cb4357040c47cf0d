import Foundation
import XCTest
@testable import ChatStorage

/// The checkpoint's paced write-back (`WriteBackPacer`) must reach the kernel for every slice of the file: a
/// missing `sync_file_range` or a file it cannot open would silently put the whole copy back into one fsync.
final class WriteBackPacerTests: StorageTestCase {
    func testEverySliceOfADirtyFileIsWrittenBack() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("dirty.bin").path
        let bytes = Int(WriteBackPacer.sliceBytes) * 3 + 100   // three whole slices and part of a fourth
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: bytes)))
        let pacer = WriteBackPacer(path: path)
        XCTAssertEqual(pacer.writeBack(), 4)
        XCTAssertEqual(pacer.writeBack(), 4, "again, with the descriptor it kept")
        XCTAssertEqual(WriteBackPacer(path: path + ".missing").writeBack(), 0)
    }
}
