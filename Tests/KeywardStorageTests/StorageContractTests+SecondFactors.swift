import Foundation
import KeywardCore
import KeywardStorage
import KeywardTestSupport
import Testing

/// The stores behind second factors and security settings, on SQLite and PostgreSQL.
@Suite struct SecondFactorStorageContractTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    private func withAccount(_ kind: SQLDialectKind, _ email: String,
                             _ body: (SQLKeywardDatabase, Account) async throws -> Void) async throws {
        try await TestDatabases.with(kind) { database in
            let account = try await database.stores.accounts.findOrCreatePending(
                identifier: Identifier(kind: .email, value: email), at: now)
            try await body(database, account)
        }
    }

    private func authenticator(_ id: String, accountId: String) -> Authenticator {
        Authenticator(id: id, accountId: accountId, state: .pending, sealedSecret: "c2VhbGVk", lastUsedStep: nil,
                      createdAt: now, confirmedAt: nil)
    }

    @Test(arguments: TestDatabases.kinds)
    func parallelUsesOfOneTimeStepSucceedExactlyOnceAndOlderStepsNever(kind: SQLDialectKind) async throws {
        try await withAccount(kind, "steps@example.com") { database, account in
            try await database.stores.authenticators.insertPending(authenticator("a1", accountId: account.id))
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 { group.addTask { try await database.stores.authenticators.claimStep(id: "a1", step: 100) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            #expect(try await !database.stores.authenticators.claimStep(id: "a1", step: 99))
            #expect(try await database.stores.authenticators.claimStep(id: "a1", step: 101))
            #expect(try await database.stores.authenticators.find(accountId: account.id, state: .pending)?.lastUsedStep == 101)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func activatingAPendingAuthenticatorReplacesTheActiveOneOnce(kind: SQLDialectKind) async throws {
        try await withAccount(kind, "replace@example.com") { database, account in
            let stores = database.stores
            try await stores.authenticators.insertPending(authenticator("old", accountId: account.id))
            #expect(try await stores.authenticators.activate(id: "old", accountId: account.id, at: now))
            try await stores.authenticators.insertPending(authenticator("abandoned", accountId: account.id))
            try await stores.authenticators.insertPending(authenticator("new", accountId: account.id))
            #expect(try await stores.authenticators.find(accountId: account.id, state: .pending)?.id == "new")
            #expect(try await stores.authenticators.find(accountId: account.id, state: .active)?.id == "old")
            #expect(try await stores.authenticators.activate(id: "new", accountId: account.id, at: now))
            #expect(try await !stores.authenticators.activate(id: "new", accountId: account.id, at: now))
            #expect(try await stores.authenticators.find(accountId: account.id, state: .active)?.id == "new")
            #expect(try await stores.authenticators.find(accountId: account.id, state: .pending) == nil)
            #expect(try await stores.authenticators.removeAll(accountId: account.id) == 1)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func bindingAnIdentifierReplacesTheOldOneTakesOverUnfinishedRegistrationsAndNeverAnActiveAccount(kind: SQLDialectKind) async throws {
        try await withAccount(kind, "owner@example.com") { database, account in
            let accounts = database.stores.accounts
            _ = try await accounts.activate(accountId: account.id, identifier: Identifier(kind: .email, value: "owner@example.com"),
                                            passwordHash: "$argon2id$x", at: now)
            let first = Identifier(kind: .phone, value: "+447700900001")
            let second = Identifier(kind: .phone, value: "+447700900002")
            #expect(try await accounts.bindIdentifier(first, accountId: account.id, replacing: nil, at: now))
            // An unfinished registration of the second number is discarded in favour of this account.
            let stale = try await accounts.findOrCreatePending(identifier: second, at: now)
            #expect(try await accounts.bindIdentifier(second, accountId: account.id, replacing: first, at: now))
            #expect(try await accounts.find(id: stale.id) == nil)
            let phones = try await accounts.identifiers(accountId: account.id).filter { $0.identifier.kind == .phone }
            #expect(phones.map(\.identifier) == [second])
            #expect(phones.first?.verifiedAt == now)

            let other = try await accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: "other@example.com"), at: now)
            _ = try await accounts.activate(accountId: other.id, identifier: Identifier(kind: .email, value: "other@example.com"),
                                            passwordHash: "$argon2id$x", at: now)
            #expect(try await !accounts.bindIdentifier(second, accountId: other.id, replacing: nil, at: now))
            #expect(try await accounts.find(identifier: second)?.id == account.id)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func reauthenticationTimesAndSealedAntiPhishingCodesAreStored(kind: SQLDialectKind) async throws {
        try await withAccount(kind, "settings@example.com") { database, account in
            let stores = database.stores
            #expect(try await stores.accounts.antiPhishingCode(accountId: account.id) == nil)
            try await stores.accounts.setAntiPhishingCode(accountId: account.id, sealed: "c2VhbGVkIGNvZGU=")
            #expect(try await stores.accounts.antiPhishingCode(accountId: account.id) == "c2VhbGVkIGNvZGU=")
            let session = Session(id: "s1", accountId: account.id, tokenHash: "t1", createdAt: now, lastSeenAt: now,
                                  expiresAt: now.addingTimeInterval(3600), deviceName: nil, userAgent: nil, ip: nil, revokedAt: nil)
            try await stores.sessions.insert(session)
            #expect(try await stores.sessions.findWithIdentifiers(tokenHash: "t1")?.session.reauthenticatedAt == nil)
            try await stores.sessions.markReauthenticated(id: "s1", at: now.addingTimeInterval(60))
            #expect(try await stores.sessions.findWithIdentifiers(tokenHash: "t1")?.session.reauthenticatedAt == now.addingTimeInterval(60))
        }
    }
}
