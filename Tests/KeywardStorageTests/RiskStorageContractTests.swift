import Foundation
import KeywardCore
import KeywardStorage
import KeywardTestSupport
import Testing

/// The sign-in attempts and risk evaluations risk control keeps, on SQLite and PostgreSQL, at
/// fixed times: what is counted within a window and what is not.
@Suite struct RiskStorageContractTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    private func attempt(_ identifier: String, network: String? = "198.51.100.0/24", country: String? = nil,
                         account: String? = nil, right: Bool = false, at offset: TimeInterval) -> SignInAttempt {
        SignInAttempt(network: network, country: country, identifierHash: "hash-\(identifier)", accountId: account,
                      passwordRight: right, at: now.addingTimeInterval(offset))
    }

    @Test(arguments: TestDatabases.kinds)
    func failuresAreCountedByDistinctIdentifierWithinTheWindow(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let risk = database.stores.risk
            // 200 identifiers tried from one network in the last ten minutes, each twice.
            for index in 0..<200 {
                try await risk.record(attempt("id\(index)", at: -599 + Double(index)))
                try await risk.record(attempt("id\(index)", at: -300))
            }
            // Older ones, another network's, and right passwords do not count.
            for index in 0..<50 { try await risk.record(attempt("old\(index)", at: -601)) }
            for index in 0..<50 { try await risk.record(attempt("other\(index)", network: "203.0.113.0/24", at: -10)) }
            try await risk.record(attempt("right", account: "a1", right: true, at: -5))

            let counted = try await risk.failures(network: "198.51.100.0/24", since: now.addingTimeInterval(-600))
            #expect(counted.identifiers == 200 && counted.attempts == 400)
            let other = try await risk.failures(network: "203.0.113.0/24", since: now.addingTimeInterval(-600))
            #expect(other.identifiers == 50 && other.attempts == 50)
            #expect(try await risk.failures(network: "192.0.2.0/24", since: now).identifiers == 0)

            #expect(try await risk.prune(attemptsBefore: now.addingTimeInterval(-600), evaluationsBefore: now) == 50)
            #expect(try await risk.failures(network: "198.51.100.0/24", since: .distantPast).identifiers == 200)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func placesAreTheDistinctNetworksAndCountriesOfRightPasswords(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let risk = database.stores.risk
            let places: [(String?, String?)] = [("198.51.100.0/24", "GB"), ("198.51.100.0/24", "GB"), ("203.0.113.0/24", "FR"),
                                                ("192.0.2.0/24", nil), (nil, "DE")]
            for (index, place) in places.enumerated() {
                try await risk.record(attempt("me", network: place.0, country: place.1, account: "a1", right: true,
                                              at: -3000 + Double(index)))
            }
            // Wrong passwords, another account's, and older sign-ins are not places of the account.
            try await risk.record(attempt("me", network: "100.64.0.0/24", country: "US", account: "a1", at: -10))
            try await risk.record(attempt("you", network: "100.65.0.0/24", country: "CA", account: "a2", right: true, at: -10))
            try await risk.record(attempt("me", network: "100.66.0.0/24", country: "JP", account: "a1", right: true, at: -4000))

            let counted = try await risk.places(accountId: "a1", since: now.addingTimeInterval(-3600))
            #expect(counted.networks == 3 && counted.countries == 3)
            #expect(try await risk.places(accountId: "a3", since: .distantPast) == (0, 0))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func evaluationsKeepTheirSignalsNewestFirst(kind: SQLDialectKind) async throws {
        try await TestDatabases.with(kind) { database in
            let stores = database.stores
            let account = try await stores.accounts.findOrCreatePending(identifier: Identifier(kind: .email, value: "e@example.com"),
                                                                       at: now)
            let signals = RiskSignals(newDevice: nil, newNetwork: true, newCountry: true, identifiersFailingFromNetwork: 24,
                                      failuresFromNetwork: 31, countriesInWindow: 4, networksInWindow: 4)
            let first = RiskEvaluation(id: "e1", accountId: account.id, stage: .signIn, decision: .allow, reason: nil,
                                       enforced: false, signals: signals, network: nil, country: nil, at: now)
            let second = RiskEvaluation(id: "e2", accountId: account.id, stage: .signIn, decision: .restrict,
                                        reason: .locationVelocity, enforced: true, signals: signals,
                                        network: "198.51.100.0/24", country: "FR", at: now.addingTimeInterval(60))
            try await stores.risk.record(first)
            try await stores.risk.record(second)
            #expect(try await stores.risk.evaluations(accountId: account.id, limit: 10) == [second, first])
            #expect(try await stores.risk.evaluations(accountId: account.id, limit: 1) == [second])
            #expect(try await stores.risk.prune(attemptsBefore: now, evaluationsBefore: now.addingTimeInterval(1)) == 1)
            #expect(try await stores.risk.evaluations(accountId: account.id, limit: 10) == [second])
        }
    }
}
