public import KeywardCore
import Logging
import SQLKit

/// The SQL implementation of ``KeywardDatabase`` for SQLite and PostgreSQL.
public final class SQLKeywardDatabase: KeywardDatabase {
    /// Which database this is.
    public let dialect: SQLDialectKind
    let sql: any SQLDatabase
    private let closeConnections: @Sendable () async throws -> Void

    init(sql: any SQLDatabase, dialect: SQLDialectKind, close: @escaping @Sendable () async throws -> Void) {
        self.sql = sql
        self.dialect = dialect
        self.closeConnections = close
    }

    public var stores: any KeywardStores { SQLStores(sql: sql, dialect: dialect) }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any KeywardStores) async throws -> T) async throws -> T {
        let dialect = self.dialect
        return try await sql.withSession { session in
            try await session.raw(SQLQueryString(dialect.beginTransaction)).run()
            do {
                let result = try await body(SQLStores(sql: session, dialect: dialect))
                try await session.raw("COMMIT").run()
                return result
            } catch {
                try? await session.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    public func isReady() async -> Bool {
        do {
            return try await Migrator(database: self).pending().isEmpty
        } catch {
            return false
        }
    }

    /// Applies every migration not yet applied, in order; returns the versions applied now.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await Migrator(database: self).apply()
    }

    /// Closes the connections. Call once, after the last use.
    public func close() async throws {
        try await closeConnections()
    }
}

/// Every store over one database session.
struct SQLStores: KeywardStores {
    let sql: any SQLDatabase
    let dialect: SQLDialectKind

    var accounts: any AccountStore { SQLAccountStore(sql: sql) }
    var flows: any FlowStore { SQLFlowStore(sql: sql) }
    var codes: any VerificationCodeStore { SQLVerificationCodeStore(sql: sql) }
    var sessions: any SessionStore { SQLSessionStore(sql: sql) }
    var outbox: any OutboxStore { SQLOutboxStore(sql: sql, dialect: dialect) }
    var audit: any AuditStore { SQLAuditStore(sql: sql) }
    var mailbox: any DevelopmentMailboxStore { SQLDevelopmentMailboxStore(sql: sql) }
    var rateLimits: any RateLimitStore { SQLRateLimitStore(sql: sql) }
    var guesses: any GuessCounterStore { SQLGuessCounterStore(sql: sql) }
    var holds: any SecurityHoldStore { SQLSecurityHoldStore(sql: sql) }
    var restrictions: any AccountRestrictionStore { SQLAccountRestrictionStore(sql: sql) }
    var freezeLinks: any FreezeLinkStore { SQLFreezeLinkStore(sql: sql) }
    var risk: any RiskStore { SQLRiskStore(sql: sql) }
    var devices: any KnownDeviceStore { SQLKnownDeviceStore(sql: sql) }
    var locations: any KnownLocationStore { SQLKnownLocationStore(sql: sql) }
    var authenticators: any AuthenticatorStore { SQLAuthenticatorStore(sql: sql) }
    var recoveryCodes: any RecoveryCodeStore { SQLRecoveryCodeStore(sql: sql) }
    var passkeys: any PasskeyStore { SQLPasskeyStore(sql: sql) }
    var cases: any SupportCaseStore { SQLSupportCaseStore(sql: sql) }
    var staff: any StaffStore { SQLStaffStore(sql: sql) }
}

extension SQLKeywardDatabase {
    /// Runs one statement of administrative SQL (used by tests to create scratch databases).
    public func execute(raw statement: String) async throws {
        try await sql.raw(SQLQueryString(statement)).run()
    }

    /// Every text value in `table`, row by row (used by tests that look for secrets at rest).
    public func textValues(in table: String) async throws -> [[String]] {
        try await sql.raw(SQLQueryString("SELECT * FROM \(table)")).all().map { row in
            row.allColumns.compactMap { column in (try? row.decode(column: column, as: String?.self)) ?? nil }
        }
    }
}
