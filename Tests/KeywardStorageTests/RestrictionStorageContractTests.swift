import Foundation
import KeywardCore
import KeywardStorage
import KeywardTestSupport
import Testing

/// The store of restrictions and freezes, on SQLite and PostgreSQL.
@Suite struct RestrictionStorageContractTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    private func restriction(_ id: String, _ accountId: String, _ kind: AccountRestriction.Kind,
                             at offset: TimeInterval = 0) -> AccountRestriction {
        AccountRestriction(id: id, accountId: accountId, kind: kind, reason: kind == .frozen ? .owner : .locationVelocity,
                           placedBy: kind == .frozen ? "owner" : "risk", note: nil, placedAt: now.addingTimeInterval(offset))
    }

    @Test(arguments: TestDatabases.kinds)
    func oneOfEachKindIsInForceAtOnceAndRacingPlacementsStoreOne(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let account = try await stores.accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: "r@example.com"),
                                                                       at: now)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<10 {
                    group.addTask { try await stores.restrictions.place(restriction("r\(index)", account.id, .restricted)) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            #expect(try await stores.restrictions.place(restriction("f1", account.id, .frozen, at: 5)))
            #expect(try await stores.restrictions.active(accountId: account.id).map(\.kind) == [.restricted, .frozen])
            await #expect(throws: KeywardError.accountFrozen) {
                try await stores.restrictions.ensureCanSignIn(accountId: account.id)
            }

            let lifted = try #require(try await stores.restrictions.lift(accountId: account.id, kind: .frozen, by: "staff-1",
                                                                          at: now.addingTimeInterval(60)))
            #expect(lifted.id == "f1" && lifted.liftedBy == "staff-1" && lifted.liftedAt == now.addingTimeInterval(60))
            #expect(try await stores.restrictions.lift(accountId: account.id, kind: .frozen, by: "staff-1", at: now) == nil)
            await #expect(throws: KeywardError.accountRestricted(reason: .locationVelocity)) {
                try await stores.restrictions.ensureCanSignIn(accountId: account.id)
            }
            // Once lifted, a new one of the kind can be placed; the old record stays.
            #expect(try await stores.restrictions.place(restriction("f2", account.id, .frozen, at: 120)))
            #expect(try await stores.restrictions.active(accountId: account.id).map(\.id).last == "f2")
            #expect(try await stores.holdsInForce(accountId: account.id, now: now).map(\.reason)
                    == ["account.restricted", "account.frozen"])
        }
    }
}
