import Foundation
import KeywardCore
import SQLKit

struct SQLSecurityHoldStore: SecurityHoldStore {
    let sql: any SQLDatabase

    func place(_ hold: SecurityHold) async throws {
        try await sql.raw("""
            INSERT INTO security_holds (id, account_id, kind, reason, placed_at, until_at)
            VALUES (\(bind: hold.id), \(bind: hold.accountId), \(bind: hold.kind), \(bind: hold.reason),
                    \(bind: hold.placedAt.unixMilliseconds), \(bind: (hold.until ?? .distantFuture).unixMilliseconds))
            """).run()
    }

    func active(accountId: String, now: Date) async throws -> [SecurityHold] {
        try await sql.raw("""
            SELECT id, account_id, kind, reason, placed_at, until_at FROM security_holds
            WHERE account_id = \(bind: accountId) AND until_at > \(bind: now.unixMilliseconds)
            ORDER BY until_at, id
            """).all().map { row in
            SecurityHold(id: try row.string("id"), accountId: try row.string("account_id"), kind: try row.string("kind"),
                         reason: try row.string("reason"), placedAt: try row.date("placed_at"), until: try row.date("until_at"))
        }
    }
}

struct SQLKnownDeviceStore: KnownDeviceStore {
    let sql: any SQLDatabase

    func isKnown(accountId: String, deviceHash: String) async throws -> Bool {
        try await sql.raw("""
            SELECT account_id FROM known_devices WHERE account_id = \(bind: accountId) AND device_hash = \(bind: deviceHash)
            """).first() != nil
    }

    func remember(accountId: String, deviceHash: String, at: Date) async throws {
        try await sql.raw("""
            INSERT INTO known_devices (account_id, device_hash, first_seen_at, last_seen_at)
            VALUES (\(bind: accountId), \(bind: deviceHash), \(bind: at.unixMilliseconds), \(bind: at.unixMilliseconds))
            ON CONFLICT (account_id, device_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at
            """).run()
    }
}
