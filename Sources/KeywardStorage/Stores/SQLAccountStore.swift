import Foundation
import KeywardCore
import KeywardCrypto
import SQLKit

struct SQLAccountStore: AccountStore {
    let sql: any SQLDatabase

    private static let columns = "a.id, a.status, a.password_hash, a.created_at, a.activated_at"

    func findOrCreatePending(identifier: Identifier, at: Date) async throws -> Account {
        if let existing = try await find(identifier: identifier) { return existing }
        let account = Account(id: SecureRandom.uuid(), status: .pending, passwordHash: nil, createdAt: at, activatedAt: nil)
        try await sql.raw("""
            INSERT INTO accounts (id, status, password_hash, created_at, activated_at)
            VALUES (\(bind: account.id), 'pending', NULL, \(bind: at.unixMilliseconds), NULL)
            """).run()
        let bound = try await sql.raw("""
            INSERT INTO account_identifiers (kind, value, account_id, verified_at, created_at)
            VALUES (\(bind: identifier.kind.rawValue), \(bind: identifier.value), \(bind: account.id), NULL, \(bind: at.unixMilliseconds))
            ON CONFLICT (kind, value) DO NOTHING
            RETURNING account_id
            """).all()
        if !bound.isEmpty { return account }
        try await sql.raw("DELETE FROM accounts WHERE id = \(bind: account.id)").run()
        guard let winner = try await find(identifier: identifier) else {
            throw KeywardError.internalError
        }
        return winner
    }

    func find(id: String) async throws -> Account? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM accounts a WHERE a.id = \(bind: id)")
            .first().map(Self.account)
    }

    func find(identifier: Identifier) async throws -> Account? {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM account_identifiers i JOIN accounts a ON a.id = i.account_id
            WHERE i.kind = \(bind: identifier.kind.rawValue) AND i.value = \(bind: identifier.value)
            """).first().map(Self.account)
    }

    func identifiers(accountId: String) async throws -> [AccountIdentifier] {
        try await sql.raw("""
            SELECT kind, value, verified_at FROM account_identifiers
            WHERE account_id = \(bind: accountId) ORDER BY created_at, kind
            """).all().map { row in
            let kind = Identifier.Kind(rawValue: try row.string("kind")) ?? .email
            return AccountIdentifier(identifier: Identifier(kind: kind, value: try row.string("value")),
                                     verifiedAt: try row.optionalDate("verified_at"))
        }
    }

    func activate(accountId: String, identifier: Identifier, passwordHash: String, at: Date) async throws -> Bool {
        let rows = try await sql.raw("""
            UPDATE accounts SET status = 'active', password_hash = \(bind: passwordHash), activated_at = \(bind: at.unixMilliseconds)
            WHERE id = \(bind: accountId) AND status = 'pending'
            RETURNING id
            """).all()
        guard !rows.isEmpty else { return false }
        try await sql.raw("""
            UPDATE account_identifiers SET verified_at = \(bind: at.unixMilliseconds)
            WHERE account_id = \(bind: accountId) AND kind = \(bind: identifier.kind.rawValue) AND value = \(bind: identifier.value)
            """).run()
        return true
    }

    func updatePasswordHash(accountId: String, passwordHash: String) async throws {
        try await sql.raw("UPDATE accounts SET password_hash = \(bind: passwordHash) WHERE id = \(bind: accountId)").run()
    }

    func bindIdentifier(_ identifier: Identifier, accountId: String, replacing: Identifier?, at: Date) async throws -> Bool {
        if let owner = try await find(identifier: identifier) {
            if owner.id == accountId { return replacing == nil || replacing == identifier }
            guard owner.status == .pending else { return false }
            try await sql.raw("DELETE FROM accounts WHERE id = \(bind: owner.id) AND status = 'pending'").run()
        }
        // Another account binding it at the same moment wins the row; this caller then changes nothing.
        let inserted = try await sql.raw("""
            INSERT INTO account_identifiers (kind, value, account_id, verified_at, created_at)
            VALUES (\(bind: identifier.kind.rawValue), \(bind: identifier.value), \(bind: accountId),
                    \(bind: at.unixMilliseconds), \(bind: at.unixMilliseconds))
            ON CONFLICT (kind, value) DO NOTHING
            RETURNING account_id
            """).all()
        guard !inserted.isEmpty else { return false }
        if let replacing {
            try await sql.raw("""
                DELETE FROM account_identifiers
                WHERE account_id = \(bind: accountId) AND kind = \(bind: replacing.kind.rawValue) AND value = \(bind: replacing.value)
                """).run()
        }
        return true
    }

    func antiPhishingCode(accountId: String) async throws -> String? {
        try await sql.raw("SELECT anti_phishing_sealed FROM accounts WHERE id = \(bind: accountId)")
            .first().flatMap { try $0.optionalString("anti_phishing_sealed") }
    }

    func setAntiPhishingCode(accountId: String, sealed: String?) async throws {
        try await sql.raw("UPDATE accounts SET anti_phishing_sealed = \(bind: sealed) WHERE id = \(bind: accountId)").run()
    }

    private static func account(_ row: any SQLRow) throws -> Account {
        Account(id: try row.string("id"),
                status: Account.Status(rawValue: try row.string("status")) ?? .pending,
                passwordHash: try row.optionalString("password_hash"),
                createdAt: try row.date("created_at"),
                activatedAt: try row.optionalDate("activated_at"))
    }
}
