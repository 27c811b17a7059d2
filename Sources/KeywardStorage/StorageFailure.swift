import PostgresKit
import SQLiteKit

/// Tells a database that is out of reach or too busy to answer for now from a statement that
/// failed for good, so that the first can be answered "try again shortly" instead of as a fault.
public enum StorageFailure {
    /// Whether `error` means the database could not be reached, was restarting, had no connection
    /// to spare, or was locked by another writer: conditions that pass without anyone changing
    /// anything.
    public static func isTransient(_ error: any Error) -> Bool {
        if error is ConnectionPoolTimeoutError {
            return true
        }
        if let error = error as? PSQLError {
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown:
                return true
            case .server:
                return isTransient(sqlState: error.serverInfo?[.sqlState] ?? "")
            default:
                return false
            }
        }
        if let error = error as? SQLiteError {
            switch error.reason {
            case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked:
                return true
            default:
                return false
            }
        }
        return false
    }

    /// PostgreSQL's classes 08 (connection exception) and 53 (insufficient resources, such as
    /// too many connections), its operator interventions 57P01–57P03 (shutdown, restart), and the
    /// serialization and deadlock failures 40001 and 40P01.
    static func isTransient(sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || sqlState.hasPrefix("53")
            || ["57P01", "57P02", "57P03", "40001", "40P01"].contains(sqlState)
    }
}
