import Foundation
import KeywardCore
import KeywardStorage
import KeywardTestSupport
import Testing

/// The passkey store, on SQLite and PostgreSQL.
@Suite struct PasskeyStorageContractTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    private func passkey(_ id: String, accountId: String, credentialId: [UInt8], signCount: UInt32 = 0) -> Passkey {
        Passkey(id: id, accountId: accountId, credentialId: credentialId, publicKey: [0xA5, 0x01, 0x02], algorithm: -7,
                signCount: signCount, transports: ["internal", "hybrid"], backupEligible: true, backedUp: false,
                name: "Laptop", createdAt: now, lastUsedAt: nil)
    }

    @Test(arguments: TestDatabases.kinds)
    func aCredentialIdIsRegisteredOnceAcrossAccountsAndEachAccountSeesOnlyItsOwn(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let first = try await stores.accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: "a@example.com"), at: now)
            let second = try await stores.accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: "b@example.com"), at: now)
            #expect(try await stores.passkeys.insert(passkey("p1", accountId: first.id, credentialId: [1, 2, 3])))
            #expect(try await !stores.passkeys.insert(passkey("p2", accountId: second.id, credentialId: [1, 2, 3])))
            #expect(try await stores.passkeys.insert(passkey("p3", accountId: second.id, credentialId: [4, 5, 6])))
            let found = try #require(try await stores.passkeys.find(credentialId: [1, 2, 3]))
            #expect(found == passkey("p1", accountId: first.id, credentialId: [1, 2, 3]))
            #expect(try await stores.passkeys.list(accountId: first.id).map(\.id) == ["p1"])
            #expect(try await stores.passkeys.count(accountId: second.id) == 1)
            #expect(try await stores.passkeys.find(id: "p1", accountId: second.id) == nil)
            #expect(try await !stores.passkeys.rename(id: "p1", accountId: second.id, name: "Stolen"))
            #expect(try await !stores.passkeys.delete(id: "p1", accountId: second.id))
            #expect(try await stores.passkeys.rename(id: "p1", accountId: first.id, name: "Phone"))
            #expect(try await stores.passkeys.find(id: "p1", accountId: first.id)?.name == "Phone")
            #expect(try await stores.passkeys.delete(id: "p1", accountId: first.id))
            #expect(try await stores.passkeys.find(credentialId: [1, 2, 3]) == nil)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aUseIsRecordedOnlyWhenTheCounterMovesForwardAndOnceAmongParallelUses(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let account = try await stores.accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: "c@example.com"), at: now)
            #expect(try await stores.passkeys.insert(passkey("counted", accountId: account.id, credentialId: [7], signCount: 5)))
            #expect(try await stores.passkeys.insert(passkey("uncounted", accountId: account.id, credentialId: [8])))
            #expect(try await !stores.passkeys.recordUse(id: "counted", signCount: 5, backedUp: true, at: now))
            #expect(try await !stores.passkeys.recordUse(id: "counted", signCount: 4, backedUp: true, at: now))
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await database.stores.passkeys.recordUse(id: "counted", signCount: 6, backedUp: true, at: now) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            let used = try #require(try await stores.passkeys.find(id: "counted", accountId: account.id))
            #expect((used.signCount, used.backedUp, used.lastUsedAt) == (6, true, now))
            // Authenticators that keep no counter report 0 every time.
            #expect(try await stores.passkeys.recordUse(id: "uncounted", signCount: 0, backedUp: false, at: now))
            #expect(try await stores.passkeys.recordUse(id: "uncounted", signCount: 0, backedUp: false, at: now))
        }
    }
}
