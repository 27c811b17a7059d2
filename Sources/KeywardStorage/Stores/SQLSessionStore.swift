import Foundation
import KeywardCore
import SQLKit

struct SQLSessionStore: SessionStore {
    let sql: any SQLDatabase

    private static let columns = "id, account_id, token_hash, created_at, last_seen_at, expires_at, device_name, user_agent, ip, revoked_at, reauthenticated_at"

    func insert(_ session: Session) async throws {
        try await sql.raw("""
            INSERT INTO sessions (\(unsafeRaw: Self.columns))
            VALUES (\(bind: session.id), \(bind: session.accountId), \(bind: session.tokenHash),
                    \(bind: session.createdAt.unixMilliseconds), \(bind: session.lastSeenAt.unixMilliseconds),
                    \(bind: session.expiresAt.unixMilliseconds), \(bind: session.deviceName), \(bind: session.userAgent),
                    \(bind: session.ip), \(bind: session.revokedAt?.unixMilliseconds),
                    \(bind: session.reauthenticatedAt?.unixMilliseconds))
            """).run()
    }

    func findWithIdentifiers(tokenHash: String) async throws -> SignedInSession? {
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: Self.prefixedColumns), i.kind AS identifier_kind, i.value AS identifier_value,
                   i.verified_at AS identifier_verified_at
            FROM sessions s LEFT JOIN account_identifiers i ON i.account_id = s.account_id
            WHERE s.token_hash = \(bind: tokenHash)
            ORDER BY i.created_at, i.kind
            """).all()
        guard let first = rows.first else { return nil }
        let identifiers = try rows.compactMap { row -> AccountIdentifier? in
            guard let kind = try row.optionalString("identifier_kind").flatMap(Identifier.Kind.init(rawValue:)),
                  let value = try row.optionalString("identifier_value") else { return nil }
            return AccountIdentifier(identifier: Identifier(kind: kind, value: value),
                                     verifiedAt: try row.optionalDate("identifier_verified_at"))
        }
        return SignedInSession(session: try Self.session(first), identifiers: identifiers)
    }

    private static let prefixedColumns = columns.split(separator: ",")
        .map { "s." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")

    func touch(id: String, at: Date) async throws {
        try await sql.raw("""
            UPDATE sessions SET last_seen_at = \(bind: at.unixMilliseconds)
            WHERE id = \(bind: id) AND last_seen_at < \(bind: at.unixMilliseconds)
            """).run()
    }

    func list(accountId: String, now: Date) async throws -> [Session] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM sessions
            WHERE account_id = \(bind: accountId) AND revoked_at IS NULL AND expires_at > \(bind: now.unixMilliseconds)
            ORDER BY created_at DESC, id
            """).all().map(Self.session)
    }

    func revoke(id: String, accountId: String, at: Date) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE sessions SET revoked_at = \(bind: at.unixMilliseconds)
            WHERE id = \(bind: id) AND account_id = \(bind: accountId) AND revoked_at IS NULL
            RETURNING id
            """).all()).isEmpty
    }

    func revokeAll(accountId: String, keeping: String?, at: Date) async throws -> Int {
        try await sql.raw("""
            UPDATE sessions SET revoked_at = \(bind: at.unixMilliseconds)
            WHERE account_id = \(bind: accountId) AND revoked_at IS NULL AND id <> \(bind: keeping ?? "")
            RETURNING id
            """).all().count
    }

    func markReauthenticated(id: String, at: Date) async throws {
        try await sql.raw("UPDATE sessions SET reauthenticated_at = \(bind: at.unixMilliseconds) WHERE id = \(bind: id)").run()
    }

    private static func session(_ row: any SQLRow) throws -> Session {
        Session(id: try row.string("id"), accountId: try row.string("account_id"),
                tokenHash: try row.string("token_hash"), createdAt: try row.date("created_at"),
                lastSeenAt: try row.date("last_seen_at"), expiresAt: try row.date("expires_at"),
                deviceName: try row.optionalString("device_name"), userAgent: try row.optionalString("user_agent"),
                ip: try row.optionalString("ip"), revokedAt: try row.optionalDate("revoked_at"),
                reauthenticatedAt: try row.optionalDate("reauthenticated_at"))
    }
}
