import Foundation
import KeywardCore
import KeywardCrypto
import SQLKit

/// Passkeys; credential ids and COSE keys are kept as base64url text, flags as 0 or 1.
struct SQLPasskeyStore: PasskeyStore {
    let sql: any SQLDatabase

    private static let columns = """
        id, account_id, credential_id, public_key, algorithm, sign_count, transports, backup_eligible, backed_up,
        name, created_at, last_used_at
        """

    func insert(_ passkey: Passkey) async throws -> Bool {
        !(try await sql.raw("""
            INSERT INTO passkeys (\(unsafeRaw: Self.columns))
            VALUES (\(bind: passkey.id), \(bind: passkey.accountId), \(bind: Base64URL.encode(passkey.credentialId)),
                    \(bind: Base64URL.encode(passkey.publicKey)), \(bind: Int64(passkey.algorithm)),
                    \(bind: Int64(passkey.signCount)), \(bind: passkey.transports.joined(separator: ",")),
                    \(bind: passkey.backupEligible ? 1 : 0), \(bind: passkey.backedUp ? 1 : 0), \(bind: passkey.name),
                    \(bind: passkey.createdAt.unixMilliseconds), \(bind: passkey.lastUsedAt?.unixMilliseconds))
            ON CONFLICT (credential_id) DO NOTHING
            RETURNING id
            """).all()).isEmpty
    }

    func list(accountId: String) async throws -> [Passkey] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM passkeys WHERE account_id = \(bind: accountId) ORDER BY created_at, id
            """).all().map(Self.passkey)
    }

    func count(accountId: String) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS count FROM passkeys WHERE account_id = \(bind: accountId)")
            .first().map { try $0.int("count") } ?? 0
    }

    func find(credentialId: [UInt8]) async throws -> Passkey? {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM passkeys WHERE credential_id = \(bind: Base64URL.encode(credentialId))
            """).first().map(Self.passkey)
    }

    func find(id: String, accountId: String) async throws -> Passkey? {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM passkeys WHERE id = \(bind: id) AND account_id = \(bind: accountId)
            """).first().map(Self.passkey)
    }

    func rename(id: String, accountId: String, name: String) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE passkeys SET name = \(bind: name) WHERE id = \(bind: id) AND account_id = \(bind: accountId) RETURNING id
            """).all()).isEmpty
    }

    func delete(id: String, accountId: String) async throws -> Bool {
        !(try await sql.raw("""
            DELETE FROM passkeys WHERE id = \(bind: id) AND account_id = \(bind: accountId) RETURNING id
            """).all()).isEmpty
    }

    func recordUse(id: String, signCount: UInt32, backedUp: Bool, at: Date) async throws -> Bool {
        let count = Int64(signCount)
        return !(try await sql.raw("""
            UPDATE passkeys SET sign_count = \(bind: count), backed_up = \(bind: backedUp ? 1 : 0),
                last_used_at = \(bind: at.unixMilliseconds)
            WHERE id = \(bind: id) AND (sign_count < \(bind: count) OR (sign_count = 0 AND \(bind: count) = 0))
            RETURNING id
            """).all()).isEmpty
    }

    private static func passkey(_ row: any SQLRow) throws -> Passkey {
        guard let credentialId = Base64URL.decode(try row.string("credential_id")),
              let publicKey = Base64URL.decode(try row.string("public_key"))
        else { throw KeywardError.internalError }
        let transports = try row.string("transports")
        return Passkey(
            id: try row.string("id"), accountId: try row.string("account_id"), credentialId: credentialId,
            publicKey: publicKey, algorithm: try row.int("algorithm"), signCount: UInt32(clamping: try row.int("sign_count")),
            transports: transports.isEmpty ? [] : transports.split(separator: ",").map(String.init),
            backupEligible: try row.int("backup_eligible") != 0, backedUp: try row.int("backed_up") != 0,
            name: try row.string("name"), createdAt: try row.date("created_at"), lastUsedAt: try row.optionalDate("last_used_at"))
    }
}
