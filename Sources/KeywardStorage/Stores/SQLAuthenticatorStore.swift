import Foundation
import KeywardCore
import SQLKit

struct SQLAuthenticatorStore: AuthenticatorStore {
    let sql: any SQLDatabase

    func insertPending(_ authenticator: Authenticator) async throws {
        try await sql.raw("""
            DELETE FROM authenticators WHERE account_id = \(bind: authenticator.accountId) AND state = 'pending'
            """).run()
        try await sql.raw("""
            INSERT INTO authenticators (id, account_id, state, secret_sealed, last_used_step, created_at, confirmed_at)
            VALUES (\(bind: authenticator.id), \(bind: authenticator.accountId), 'pending', \(bind: authenticator.sealedSecret),
                    NULL, \(bind: authenticator.createdAt.unixMilliseconds), NULL)
            """).run()
    }

    func find(accountId: String, state: Authenticator.State) async throws -> Authenticator? {
        guard let row = try await sql.raw("""
            SELECT id, account_id, state, secret_sealed, last_used_step, created_at, confirmed_at FROM authenticators
            WHERE account_id = \(bind: accountId) AND state = \(bind: state.rawValue)
            ORDER BY created_at DESC LIMIT 1
            """).first()
        else { return nil }
        return Authenticator(
            id: try row.string("id"), accountId: try row.string("account_id"),
            state: Authenticator.State(rawValue: try row.string("state")) ?? .pending,
            sealedSecret: try row.string("secret_sealed"),
            lastUsedStep: try row.decodeNil(column: "last_used_step") ? nil : Int64(try row.int("last_used_step")),
            createdAt: try row.date("created_at"), confirmedAt: try row.optionalDate("confirmed_at"))
    }

    func claimStep(id: String, step: Int64) async throws -> Bool {
        !(try await sql.raw("""
            UPDATE authenticators SET last_used_step = \(bind: step)
            WHERE id = \(bind: id) AND (last_used_step IS NULL OR last_used_step < \(bind: step))
            RETURNING id
            """).all()).isEmpty
    }

    func activate(id: String, accountId: String, at: Date) async throws -> Bool {
        let activated = try await sql.raw("""
            UPDATE authenticators SET state = 'active', confirmed_at = \(bind: at.unixMilliseconds)
            WHERE id = \(bind: id) AND account_id = \(bind: accountId) AND state = 'pending'
            RETURNING id
            """).all()
        guard !activated.isEmpty else { return false }
        try await sql.raw("""
            DELETE FROM authenticators WHERE account_id = \(bind: accountId) AND id <> \(bind: id)
            """).run()
        return true
    }

    func removeAll(accountId: String) async throws -> Int {
        try await sql.raw("DELETE FROM authenticators WHERE account_id = \(bind: accountId) RETURNING id").all().count
    }
}
