import Foundation
import KeywardCore
import SQLKit

struct SQLAccountRestrictionStore: AccountRestrictionStore {
    let sql: any SQLDatabase

    func place(_ restriction: AccountRestriction) async throws -> Bool {
        // The partial unique index on (account_id, kind) of restrictions in force settles a race.
        let placed = try await sql.raw("""
            INSERT INTO account_restrictions (id, account_id, kind, reason, placed_by, note, placed_at)
            VALUES (\(bind: restriction.id), \(bind: restriction.accountId), \(bind: restriction.kind.rawValue),
                    \(bind: restriction.reason.rawValue), \(bind: restriction.placedBy), \(bind: restriction.note),
                    \(bind: restriction.placedAt.unixMilliseconds))
            ON CONFLICT (account_id, kind) WHERE lifted_at IS NULL DO NOTHING
            RETURNING id
            """).first()
        return placed != nil
    }

    func active(accountId: String) async throws -> [AccountRestriction] {
        try await sql.raw("""
            SELECT id, account_id, kind, reason, placed_by, note, placed_at, lifted_at, lifted_by FROM account_restrictions
            WHERE account_id = \(bind: accountId) AND lifted_at IS NULL ORDER BY placed_at, id
            """).all().map(Self.restriction)
    }

    func lift(accountId: String, kind: AccountRestriction.Kind, by: String, at: Date) async throws -> AccountRestriction? {
        try await sql.raw("""
            UPDATE account_restrictions SET lifted_at = \(bind: at.unixMilliseconds), lifted_by = \(bind: by)
            WHERE account_id = \(bind: accountId) AND kind = \(bind: kind.rawValue) AND lifted_at IS NULL
            RETURNING id, account_id, kind, reason, placed_by, note, placed_at, lifted_at, lifted_by
            """).first().map(Self.restriction)
    }

    private static func restriction(_ row: any SQLRow) throws -> AccountRestriction {
        guard let kind = AccountRestriction.Kind(rawValue: try row.string("kind")),
              let reason = AccountRestriction.Reason(rawValue: try row.string("reason"))
        else { throw KeywardError.internalError }
        return AccountRestriction(id: try row.string("id"), accountId: try row.string("account_id"), kind: kind,
                                  reason: reason, placedBy: try row.string("placed_by"), note: try row.optionalString("note"),
                                  placedAt: try row.date("placed_at"), liftedAt: try row.optionalDate("lifted_at"),
                                  liftedBy: try row.optionalString("lifted_by"))
    }
}

struct SQLFreezeLinkStore: FreezeLinkStore {
    let sql: any SQLDatabase

    func insert(tokenHash: String, accountId: String, at: Date, expiresAt: Date) async throws {
        try await sql.raw("""
            INSERT INTO freeze_links (token_hash, account_id, created_at, expires_at)
            VALUES (\(bind: tokenHash), \(bind: accountId), \(bind: at.unixMilliseconds), \(bind: expiresAt.unixMilliseconds))
            """).run()
    }

    func account(tokenHash: String, now: Date) async throws -> String? {
        try await sql.raw("""
            SELECT account_id FROM freeze_links
            WHERE token_hash = \(bind: tokenHash) AND used_at IS NULL AND expires_at > \(bind: now.unixMilliseconds)
            """).first()?.string("account_id")
    }

    func use(tokenHash: String, now: Date) async throws -> String? {
        try await sql.raw("""
            UPDATE freeze_links SET used_at = \(bind: now.unixMilliseconds)
            WHERE token_hash = \(bind: tokenHash) AND used_at IS NULL AND expires_at > \(bind: now.unixMilliseconds)
            RETURNING account_id
            """).first()?.string("account_id")
    }

    func deleteExpired(now: Date) async throws -> Int {
        try await sql.raw("""
            DELETE FROM freeze_links WHERE expires_at <= \(bind: now.unixMilliseconds) RETURNING token_hash
            """).all().count
    }
}
