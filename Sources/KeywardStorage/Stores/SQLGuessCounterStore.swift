import Foundation
import KeywardCore
import SQLKit

/// Failure counters: account and device scopes in `login_failures` (subject: the account id, scope
/// `account` or `device:<hash>`), recovery scopes in `recovery_failures` (subject: the identifier,
/// so that unknown identifiers count exactly like real ones).
struct SQLGuessCounterStore: GuessCounterStore {
    let sql: any SQLDatabase

    /// The table, subject column, subject and scope name a scope's row is kept under.
    private struct Row {
        let table: String
        let subjectColumn: String
        let subject: String
        let scope: String

        init(_ scope: GuessScope) {
            switch scope {
            case .account(let accountId), .device(let accountId, _):
                (table, subjectColumn, subject) = ("login_failures", "account_id", accountId)
            case .recovery(let identifier):
                (table, subjectColumn, subject) = ("recovery_failures", "subject", identifier)
            }
            self.scope = scope.storedName
        }
    }

    func extendLock(_ scope: GuessScope, now: Date, extendTo: Date) async throws -> Date? {
        let row = Row(scope)
        return try await sql.raw("""
            UPDATE \(unsafeRaw: row.table) SET locked_until = \(bind: extendTo.unixMilliseconds)
            WHERE \(unsafeRaw: row.subjectColumn) = \(bind: row.subject) AND scope = \(bind: row.scope)
              AND locked_until IS NOT NULL AND locked_until > \(bind: now.unixMilliseconds)
            RETURNING locked_until
            """).first().map { try $0.date("locked_until") }
    }

    func claimGuess(_ scope: GuessScope, now: Date, windowStart: Date, maxFailures: Int) async throws -> Int? {
        let row = Row(scope), table = row.table
        let nowMs = now.unixMilliseconds, startMs = windowStart.unixMilliseconds
        return try await sql.raw("""
            INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: row.subjectColumn), scope, failed_count, first_failed_at, locked_until)
            VALUES (\(bind: row.subject), \(bind: row.scope), 1, \(bind: nowMs), NULL)
            ON CONFLICT (\(unsafeRaw: row.subjectColumn), scope) DO UPDATE SET
                failed_count = CASE
                    WHEN \(unsafeRaw: table).first_failed_at IS NULL OR \(unsafeRaw: table).first_failed_at <= \(bind: startMs) THEN 1
                    ELSE \(unsafeRaw: table).failed_count + 1 END,
                first_failed_at = CASE
                    WHEN \(unsafeRaw: table).first_failed_at IS NULL OR \(unsafeRaw: table).first_failed_at <= \(bind: startMs) THEN \(bind: nowMs)
                    ELSE \(unsafeRaw: table).first_failed_at END
            WHERE (\(unsafeRaw: table).locked_until IS NULL OR \(unsafeRaw: table).locked_until <= \(bind: nowMs))
              AND (\(unsafeRaw: table).first_failed_at IS NULL OR \(unsafeRaw: table).first_failed_at <= \(bind: startMs)
                   OR \(unsafeRaw: table).failed_count < \(bind: Int64(maxFailures)))
            RETURNING failed_count
            """).first().map { try $0.int("failed_count") }
    }

    func placeLock(_ scope: GuessScope, now: Date, until: Date) async throws -> Bool {
        let row = Row(scope)
        return !(try await sql.raw("""
            UPDATE \(unsafeRaw: row.table) SET locked_until = \(bind: until.unixMilliseconds), failed_count = 0, first_failed_at = NULL
            WHERE \(unsafeRaw: row.subjectColumn) = \(bind: row.subject) AND scope = \(bind: row.scope)
              AND (locked_until IS NULL OR locked_until <= \(bind: now.unixMilliseconds))
            RETURNING scope
            """).all()).isEmpty
    }

    func resetFailures(_ scope: GuessScope) async throws {
        let row = Row(scope)
        try await sql.raw("""
            UPDATE \(unsafeRaw: row.table) SET failed_count = 0, first_failed_at = NULL
            WHERE \(unsafeRaw: row.subjectColumn) = \(bind: row.subject) AND scope = \(bind: row.scope)
            """).run()
    }

    func releaseGuess(_ scope: GuessScope) async throws {
        let row = Row(scope)
        try await sql.raw("""
            UPDATE \(unsafeRaw: row.table) SET failed_count = failed_count - 1
            WHERE \(unsafeRaw: row.subjectColumn) = \(bind: row.subject) AND scope = \(bind: row.scope) AND failed_count > 0
            """).run()
    }

    func clear(_ scope: GuessScope, now: Date) async throws -> Bool {
        let row = Row(scope)
        return Self.wasLocked(try await sql.raw("""
            DELETE FROM \(unsafeRaw: row.table)
            WHERE \(unsafeRaw: row.subjectColumn) = \(bind: row.subject) AND scope = \(bind: row.scope)
            RETURNING locked_until
            """).all(), now: now)
    }

    func clearAll(accountId: String, now: Date) async throws -> Bool {
        Self.wasLocked(try await sql.raw("""
            DELETE FROM login_failures WHERE account_id = \(bind: accountId) RETURNING locked_until
            """).all(), now: now)
    }

    private static func wasLocked(_ rows: [any SQLRow], now: Date) -> Bool {
        rows.contains { ((try? $0.optionalDate("locked_until")) ?? nil).map { $0 > now } ?? false }
    }

    func lockedUntil(_ scope: GuessScope, now: Date) async throws -> Date? {
        let row = Row(scope)
        return try await sql.raw("""
            SELECT locked_until FROM \(unsafeRaw: row.table)
            WHERE \(unsafeRaw: row.subjectColumn) = \(bind: row.subject) AND scope = \(bind: row.scope)
              AND locked_until IS NOT NULL AND locked_until > \(bind: now.unixMilliseconds)
            """).first().map { try $0.date("locked_until") }
    }

    func counters(accountId: String) async throws -> [FailureCounter] {
        try await sql.raw("""
            SELECT scope, failed_count, first_failed_at, locked_until FROM login_failures
            WHERE account_id = \(bind: accountId) ORDER BY scope
            """).all().map { row in
            FailureCounter(scope: GuessScope(accountId: accountId, storedName: try row.string("scope")),
                           failedCount: try row.int("failed_count"), firstFailedAt: try row.optionalDate("first_failed_at"),
                           lockedUntil: try row.optionalDate("locked_until"))
        }
    }
}
