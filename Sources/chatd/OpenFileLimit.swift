import Foundation
import Logging
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Raises the soft limit on open files (RLIMIT_NOFILE) to the hard limit, so the server can hold as many
/// connections as the system allows, and logs what the limit is. Call once at start, before the transport starts
/// (lws sizes its descriptor tables from the limit at context creation).
///
/// A hard limit above `ceiling` is not used in full: lws allocates lookup tables in proportion to the limit.
func raiseOpenFileLimit(logger: Logger, ceiling: rlim_t = 1 << 20) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
        logger.warning("cannot read the open file limit", metadata: ["os.errno": "\(errno)"])
        return
    }
    let before = limit.rlim_cur
    let target = min(limit.rlim_max, ceiling)
    if target > before {
        limit.rlim_cur = target
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 {
            logger.warning("cannot raise the open file limit", metadata: [
                "os.nofile": "\(before)", "os.nofile_hard": "\(limit.rlim_max)", "os.errno": "\(errno)"])
            return
        }
    }
    logger.notice("open file limit", metadata: [
        "os.nofile": "\(max(before, target))", "os.nofile_was": "\(before)", "os.nofile_hard": "\(limit.rlim_max)"])
}
