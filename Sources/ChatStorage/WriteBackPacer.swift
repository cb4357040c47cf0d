import Glibc

/// Writes a file's dirty pages to the disk one slice at a time, waiting for each slice before the next
/// (`sync_file_range` with WAIT_BEFORE | WRITE | WAIT_AFTER), so that the device's queue never holds more than a
/// slice of this file's writes. An fsync afterwards then has little left to write.
///
/// The WAL checkpoint copies megabytes into the database file and fsyncs it; one fsync of it took 17-27 ms on this
/// virtual disk, and meanwhile every WAL fsync of the writer waited behind it (4-8 ms instead of 0.25 ms: the p99
/// at 16,000 msgs/s, bench/ANALYSIS.md). It does not replace the fsync: `sync_file_range` neither flushes the
/// device's cache nor writes metadata, so durability still comes from the fsync that follows.
///
/// Threading: one thread at a time (the checkpoint thread). Linux only; elsewhere, or when the file cannot be
/// opened, `writeBack()` does nothing.
final class WriteBackPacer {
    private let path: String
    private var descriptor: Int32 = -1
    /// Bytes written and waited for at a time.
    static let sliceBytes: Int64 = 256 * 1024

    init(path: String) {
        self.path = path
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Writes the file's dirty pages, a slice at a time. Blocking. Returns the slices the kernel wrote (0 when
    /// `sync_file_range` is missing or the file cannot be opened).
    @discardableResult
    func writeBack() -> Int {
        guard let syncFileRange = Self.syncFileRange else { return 0 }
        if descriptor < 0 { descriptor = open(path, O_RDONLY | O_CLOEXEC) }
        var status = stat()
        guard descriptor >= 0, fstat(descriptor, &status) == 0 else { return 0 }
        var offset: Int64 = 0
        var written = 0
        while offset < Int64(status.st_size) {
            if syncFileRange(descriptor, offset, Self.sliceBytes, Self.waitWriteWait) == 0 { written += 1 }
            offset += Self.sliceBytes
        }
        return written
    }

    /// SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER (Linux's values).
    private static let waitWriteWait: UInt32 = 1 | 2 | 4

    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    /// glibc's `sync_file_range`, which Swift's Glibc module does not export; nil where there is none.
    private static let syncFileRange: SyncFileRange? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range")
        .map { unsafeBitCast($0, to: SyncFileRange.self) }
}
