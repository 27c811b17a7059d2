/// The two databases Keyward runs on. Every difference between them is written here or next to
/// the statement that needs it, and nowhere outside this module.
public enum SQLDialectKind: String, Sendable {
    /// The embedded default.
    case sqlite
    /// Production, shared by several nodes.
    case postgres

    /// The statement that opens a write transaction. SQLite takes its write lock at once so that two
    /// transactions never deadlock upgrading a read lock.
    var beginTransaction: String {
        switch self {
        case .sqlite: return "BEGIN IMMEDIATE"
        case .postgres: return "BEGIN"
        }
    }

    /// The clause that lets several workers lease different rows of the same queue at once.
    var skipLockedClause: String {
        switch self {
        case .sqlite: return ""
        case .postgres: return "FOR UPDATE SKIP LOCKED"
        }
    }
}
