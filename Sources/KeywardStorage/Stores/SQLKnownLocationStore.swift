import Foundation
import KeywardCore
import SQLKit

/// Places accounts are used from, in `known_locations`.
struct SQLKnownLocationStore: KnownLocationStore {
    let sql: any SQLDatabase

    func isKnown(accountId: String, kind: KnownLocationKind, value: String) async throws -> Bool {
        try await sql.raw("""
            SELECT account_id FROM known_locations
            WHERE account_id = \(bind: accountId) AND kind = \(bind: kind.rawValue) AND value = \(bind: value)
            """).first() != nil
    }

    func hasAny(accountId: String, kind: KnownLocationKind) async throws -> Bool {
        try await sql.raw("""
            SELECT account_id FROM known_locations WHERE account_id = \(bind: accountId) AND kind = \(bind: kind.rawValue) LIMIT 1
            """).first() != nil
    }

    func remember(accountId: String, kind: KnownLocationKind, value: String, at: Date) async throws {
        try await sql.raw("""
            INSERT INTO known_locations (account_id, kind, value, first_seen_at, last_seen_at)
            VALUES (\(bind: accountId), \(bind: kind.rawValue), \(bind: value), \(bind: at.unixMilliseconds), \(bind: at.unixMilliseconds))
            ON CONFLICT (account_id, kind, value) DO UPDATE SET last_seen_at = excluded.last_seen_at
            """).run()
    }
}
