#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open files, which bounds the connections it can hold: each is a file
/// descriptor, and the database, log and key files need some of their own.
public enum OpenFileLimit {
    /// Descriptors kept for everything but client connections.
    public static let reserve = 256

    /// Raises the soft limit toward the hard one, far enough for `connections` and the reserve
    /// (never lowering it), and returns the limit in force: the connection cap is only as good as
    /// the descriptors behind it, and a soft limit of 1024 is common.
    @discardableResult
    public static func raise(toHold connections: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        let wanted = rlim_t(connections + reserve)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = min(wanted, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
