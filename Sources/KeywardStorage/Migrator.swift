import Foundation
import KeywardCore
import SQLKit

/// Applies ``Migrations/all`` in order, each in its own transaction, recording each one applied.
///
/// Several nodes may start at once: on PostgreSQL an advisory lock lets one apply while the others
/// wait and then find nothing left; on SQLite the immediate transaction does the same.
struct Migrator {
    let database: SQLKeywardDatabase

    /// An arbitrary constant naming Keyward's migration lock in PostgreSQL.
    private static let advisoryLockKey: Int64 = 0x6B65_7977_6172_64

    /// Versions known to this build but not yet applied.
    func pending() async throws -> [Int] {
        let applied = try await appliedVersions(database.sql)
        return Migrations.all.map(\.version).filter { !applied.contains($0) }
    }

    /// Applies what is pending; returns the versions applied by this call.
    func apply() async throws -> [Int] {
        try await database.sql.raw("""
            CREATE TABLE IF NOT EXISTS keyward_migrations (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )
            """).run()
        var appliedNow: [Int] = []
        for migration in Migrations.all {
            let dialect = database.dialect
            let didApply = try await database.sql.withSession { session in
                try await session.raw(SQLQueryString(dialect.beginTransaction)).run()
                do {
                    if dialect == .postgres {
                        try await session.raw("SELECT pg_advisory_xact_lock(\(bind: Self.advisoryLockKey))").run()
                    }
                    if try await appliedVersions(session).contains(migration.version) {
                        try await session.raw("COMMIT").run()
                        return false
                    }
                    for statement in migration.statements {
                        try await session.raw(SQLQueryString(statement)).run()
                    }
                    try await session.raw("""
                        INSERT INTO keyward_migrations (version, name, applied_at)
                        VALUES (\(bind: Int64(migration.version)), \(bind: migration.name), \(bind: Date().unixMilliseconds))
                        """).run()
                    try await session.raw("COMMIT").run()
                    return true
                } catch {
                    try? await session.raw("ROLLBACK").run()
                    throw error
                }
            }
            if didApply { appliedNow.append(migration.version) }
        }
        return appliedNow
    }

    private func appliedVersions(_ sql: any SQLDatabase) async throws -> Set<Int> {
        let rows = try await sql.raw("SELECT version FROM keyward_migrations").all()
        return Set(try rows.map { try $0.int("version") })
    }
}
