import Foundation
import KeywardCore
import SQLKit

struct SQLRecoveryCodeStore: RecoveryCodeStore {
    let sql: any SQLDatabase

    func replaceAll(accountId: String, with codes: [StoredRecoveryCode]) async throws {
        try await sql.raw("DELETE FROM recovery_codes WHERE account_id = \(bind: accountId)").run()
        for code in codes {
            try await sql.raw("""
                INSERT INTO recovery_codes (id, account_id, code_hash, created_at, used_at)
                VALUES (\(bind: code.id), \(bind: code.accountId), \(bind: code.codeHash), \(bind: code.createdAt.unixMilliseconds), NULL)
                """).run()
        }
    }

    func unused(accountId: String, codeHash: String) async throws -> String? {
        try await sql.raw("""
            SELECT id FROM recovery_codes
            WHERE account_id = \(bind: accountId) AND code_hash = \(bind: codeHash) AND used_at IS NULL
            """).first().map { try $0.string("id") }
    }

    func markUsed(id: String, at: Date) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE recovery_codes SET used_at = \(bind: at.unixMilliseconds)
            WHERE id = \(bind: id) AND used_at IS NULL
            RETURNING id
            """).all()).isEmpty
    }

    func remaining(accountId: String) async throws -> Int {
        try await sql.raw("""
            SELECT COUNT(*) AS remaining FROM recovery_codes WHERE account_id = \(bind: accountId) AND used_at IS NULL
            """).first().map { try $0.int("remaining") } ?? 0
    }
}
