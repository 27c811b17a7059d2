import Foundation
import KeywardCore
import SQLKit

/// Failure counters in `login_failures` (subject: an account id) or `recovery_failures` (subject:
/// an identifier, so that unknown identifiers count exactly like real ones).
struct SQLLoginFailureStore: LoginFailureStore {
    let sql: any SQLDatabase
    var table = "login_failures"
    var subjectColumn = "account_id"

    func extendLock(accountId: String, scope: String, now: Date, extendTo: Date) async throws -> Date? {
        try await sql.raw("""
            UPDATE \(unsafeRaw: table) SET locked_until = \(bind: extendTo.unixMilliseconds)
            WHERE \(unsafeRaw: subjectColumn) = \(bind: accountId) AND scope = \(bind: scope)
              AND locked_until IS NOT NULL AND locked_until > \(bind: now.unixMilliseconds)
            RETURNING locked_until
            """).first().map { try $0.date("locked_until") }
    }

    func claimGuess(accountId: String, scope: String, now: Date, windowStart: Date, maxFailures: Int) async throws -> Int? {
        let nowMs = now.unixMilliseconds, startMs = windowStart.unixMilliseconds
        return try await sql.raw("""
            INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: subjectColumn), scope, failed_count, first_failed_at, locked_until)
            VALUES (\(bind: accountId), \(bind: scope), 1, \(bind: nowMs), NULL)
            ON CONFLICT (\(unsafeRaw: subjectColumn), scope) DO UPDATE SET
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

    func placeLock(accountId: String, scope: String, now: Date, until: Date) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE \(unsafeRaw: table) SET locked_until = \(bind: until.unixMilliseconds), failed_count = 0, first_failed_at = NULL
            WHERE \(unsafeRaw: subjectColumn) = \(bind: accountId) AND scope = \(bind: scope)
              AND (locked_until IS NULL OR locked_until <= \(bind: now.unixMilliseconds))
            RETURNING scope
            """).all()).isEmpty
    }

    func resetFailures(accountId: String, scope: String) async throws {
        try await sql.raw("""
            UPDATE \(unsafeRaw: table) SET failed_count = 0, first_failed_at = NULL
            WHERE \(unsafeRaw: subjectColumn) = \(bind: accountId) AND scope = \(bind: scope)
            """).run()
    }

    func releaseGuess(accountId: String, scope: String) async throws {
        try await sql.raw("""
            UPDATE \(unsafeRaw: table) SET failed_count = failed_count - 1
            WHERE \(unsafeRaw: subjectColumn) = \(bind: accountId) AND scope = \(bind: scope) AND failed_count > 0
            """).run()
    }

    func clearAll(accountId: String, now: Date) async throws -> Bool {
        let rows = try await sql.raw("""
            DELETE FROM \(unsafeRaw: table) WHERE \(unsafeRaw: subjectColumn) = \(bind: accountId) RETURNING locked_until
            """).all()
        return try rows.contains { (try $0.optionalDate("locked_until")).map { $0 > now } ?? false }
    }

    func lockedUntil(accountId: String, scope: String, now: Date) async throws -> Date? {
        try await sql.raw("""
            SELECT locked_until FROM \(unsafeRaw: table)
            WHERE \(unsafeRaw: subjectColumn) = \(bind: accountId) AND scope = \(bind: scope)
              AND locked_until IS NOT NULL AND locked_until > \(bind: now.unixMilliseconds)
            """).first().map { try $0.date("locked_until") }
    }

    func counters(accountId: String) async throws -> [FailureCounter] {
        try await sql.raw("""
            SELECT scope, failed_count, first_failed_at, locked_until FROM \(unsafeRaw: table)
            WHERE \(unsafeRaw: subjectColumn) = \(bind: accountId) ORDER BY scope
            """).all().map { row in
            FailureCounter(scope: try row.string("scope"), failedCount: try row.int("failed_count"),
                           firstFailedAt: try row.optionalDate("first_failed_at"), lockedUntil: try row.optionalDate("locked_until"))
        }
    }
}
