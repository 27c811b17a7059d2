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

    /// Runs `body` with a migrated, empty database of `kind`, then closes it and drops it when it
    /// is a scratch PostgreSQL database, whether `body` succeeded or not.
    public static func with(_ kind: SQLDialectKind, _ body: (SQLKeywardDatabase) async throws -> Void) async throws {
        let url = try await url(for: kind)
        let database = try await DatabaseConnector.open(url: url, logger: Logger(label: "test"), postgresConnections: 2)
        let result: Result<Void, any Error>
        do {
            try await database.migrate()
            try await body(database)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        try? await database.close()
        try await dropIfScratch(url)
        try result.get()
    }

    /// Drops the scratch database at `url` when it is one that ``url(for:)`` made on the server of
    /// `TEST_POSTGRES_URL`; any other URL is left alone. Tests call it when they end, so that a
    /// developer's PostgreSQL server does not collect them.
    public static func dropIfScratch(_ url: String?) async throws {
        guard let url, let base = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"],
              let components = URLComponents(string: url), let baseComponents = URLComponents(string: base),
              components.host == baseComponents.host, components.port == baseComponents.port
        else { return }
        let name = String(components.path.dropFirst())
        guard name.hasPrefix(scratchPrefix), name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return }
        let admin = try await DatabaseConnector.open(url: base, logger: Logger(label: "test"), postgresConnections: 1)
        do {
            try await admin.execute(raw: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        } catch {
            try? await admin.close()
            throw error
        }
        try await admin.close()
    }

    private static let scratchPrefix = "kw_test_"

    /// Creates a uniquely named database on the server of `base` and returns its URL, so tests
    /// running in parallel never see each other's rows.
    private static func freshPostgresSchema(base: String) async throws -> String {
        let admin = try await DatabaseConnector.open(url: base, logger: Logger(label: "test"), postgresConnections: 1)
        let name = scratchPrefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await admin.execute(raw: "CREATE DATABASE \(name)")
        try await admin.close()
        guard var components = URLComponents(string: base) else { fatalError("TEST_POSTGRES_URL is not a URL") }
        components.path = "/" + name
        return components.string!
    }
}
