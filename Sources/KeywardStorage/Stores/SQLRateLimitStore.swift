import Foundation
import KeywardCore
import SQLKit

struct SQLRateLimitStore: RateLimitStore {
    let sql: any SQLDatabase

    func hit(key: String, window: TimeInterval, now: Date) async throws -> (count: Int, windowEndsAt: Date) {
        let windowMs = Int64(window * 1000)
        let start = (now.unixMilliseconds / windowMs) * windowMs
        let end = start + windowMs
        guard let row = try await sql.raw("""
            INSERT INTO rate_limits (key, window_start, window_ends_at, count)
            VALUES (\(bind: key), \(bind: start), \(bind: end), 1)
            ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + 1 ELSE 1 END,
                window_start = excluded.window_start,
                window_ends_at = excluded.window_ends_at
            RETURNING count, window_ends_at
            """).first()
        else { throw KeywardError.internalError }
        return (try row.int("count"), try row.date("window_ends_at"))
    }

    func release(key: String, window: TimeInterval, now: Date) async throws {
        let windowMs = Int64(window * 1000)
        let start = (now.unixMilliseconds / windowMs) * windowMs
        try await sql.raw("""
            UPDATE rate_limits SET count = count - 1
            WHERE key = \(bind: key) AND window_start = \(bind: start) AND count > 0
            """).run()
    }

    func deleteExpired(now: Date) async throws -> Int {
        try await sql.raw("DELETE FROM rate_limits WHERE window_ends_at <= \(bind: now.unixMilliseconds) RETURNING key")
            .all().count
    }
}
