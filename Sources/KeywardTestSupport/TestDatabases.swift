import Foundation
import KeywardCore
public import KeywardStorage
import Logging

/// The databases a contract suite runs on: SQLite in memory always, and PostgreSQL when
/// `TEST_POSTGRES_URL` is set (CI always sets it).
public enum TestDatabases {
    /// `sqlite` always, plus `postgres` when `TEST_POSTGRES_URL` is set.
    /// With `KEYWARD_REQUIRE_POSTGRES` set (as CI does), a missing URL stops the run instead of
    /// silently testing SQLite alone.
    public static var kinds: [SQLDialectKind] {
        let environment = ProcessInfo.processInfo.environment
        if environment["TEST_POSTGRES_URL"] == nil {
            precondition(environment["KEYWARD_REQUIRE_POSTGRES"] == nil,
                         "KEYWARD_REQUIRE_POSTGRES is set but TEST_POSTGRES_URL is not")
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }

    /// A database URL for `kind`: SQLite in memory, or a fresh, empty PostgreSQL schema.
    public static func url(for kind: SQLDialectKind) async throws -> String {
        switch kind {
        case .sqlite:
            return "sqlite::memory:"
        case .postgres:
            guard let base = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"] else {
                fatalError("TEST_POSTGRES_URL is not set")
            }
            return try await freshPostgresSchema(base: base)
        }
    }

    /// A migrated, empty database of `kind`.
    public static func open(_ kind: SQLDialectKind) async throws -> SQLKeywardDatabase {
        let database = try await DatabaseConnector.open(url: try await url(for: kind), logger: Logger(label: "test"),
                                                        postgresConnections: 2)
        try await database.migrate()
        return database
    }

    /// Creates a uniquely named database on the server of `base` and returns its URL, so tests
    /// running in parallel never see each other's rows.
    private static func freshPostgresSchema(base: String) async throws -> String {
        let admin = try await DatabaseConnector.open(url: base, logger: Logger(label: "test"), postgresConnections: 1)
        let name = "kw_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await admin.execute(raw: "CREATE DATABASE \(name)")
        try await admin.close()
        guard var components = URLComponents(string: base) else { fatalError("TEST_POSTGRES_URL is not a URL") }
        components.path = "/" + name
        return components.string!
    }
}
