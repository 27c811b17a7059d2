import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

@Suite struct RateLimitTests {
    @Test(arguments: TestDatabases.kinds)
    func signInsFromOneAddressAreLimitedBeforeAnyHashing(kind: SQLDialectKind) async throws {
        var config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try config.set("rateLimit.signInsPerIP", to: "3/60")
        let clock = TestClock(start: Date(timeIntervalSince1970: 1_790_000_020))
        try await withKeyward(config, clock: clock) { api, _ in
            for _ in 1...3 { #expect(try await api.login("nobody@example.com").code == "account.not_found") }
            let limited = try await api.login("nobody@example.com")
            #expect(limited.status == 429)
            #expect(limited.code == "rate_limited")
            #expect(limited.headers[.retryAfter] == "20")
            #expect(limited["retryAfter"] as? Int == 20)
            #expect(try await api.login("not an identifier").code == "rate_limited")
            clock.advance(by: 20)
            #expect(try await api.login("nobody@example.com").code == "account.not_found")
        }
    }

    @Test func signInsNamingOneIdentifierAreLimited() async throws {
        var config = KeywardConfig.testing()
        try config.set("rateLimit.signInsPerIdentifier", to: "2/60")
        try await withKeyward(config) { api, _ in
            let first = try await api.login("target@example.com")
            let second = try await api.login("target@example.com")
            let third = try await api.login("target@example.com")
            let other = try await api.login("someone-else@example.com")
            #expect(first.status == 404 && second.status == 404)
            #expect(third.code == "rate_limited")
            #expect(other.status == 404)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func codesToOneDestinationAreLimitedPerHour(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try await withKeyward(config, clock: clock) { api, _ in
            let id = try await api.register("busy@example.com")
            for _ in 2...5 {
                clock.advance(by: 60)
                #expect(try await api.call(.post, "/api/v1/registrations/\(id)/resend").status == 202)
            }
            clock.advance(by: 60)
            let sixth = try await api.call(.post, "/api/v1/registrations/\(id)/resend")
            #expect(sixth.status == 429)
            #expect(sixth.code == "rate_limited")
            let hourEnds = (clock.now().timeIntervalSince1970 / 3600).rounded(.down) * 3600 + 3600
            #expect(sixth["retryAfter"] as? Int == Int((hourEnds - clock.now().timeIntervalSince1970).rounded(.up)))
        }
    }

    @Test func codesRequestedFromOneAddressAreLimited() async throws {
        try await withKeyward { api, _ in
            for index in 1...5 {
                #expect(try await api.call(.post, "/api/v1/registrations",
                                           json: ["identifier": "p\(index)@example.com", "password": "Tr4velling-Lynx"]).status == 201)
            }
            let sixth = try await api.call(.post, "/api/v1/registrations", json: ["identifier": "p6@example.com", "password": "Tr4velling-Lynx"])
            #expect(sixth.code == "rate_limited")
            #expect(sixth.headers[.retryAfter] != nil)
        }
    }

    @Test func probingRecoveryForAccountsIsLimitedLikeAskingForCodes() async throws {
        var config = KeywardConfig.testing()
        try config.set("rateLimit.codesPerIP", to: "2/60")
        try await withKeyward(config) { api, _ in
            let first = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "probe1@example.com"])
            let second = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "probe2@example.com"])
            let third = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "probe3@example.com"])
            #expect(first.code == "account.not_found" && second.code == "account.not_found")
            #expect(third.code == "rate_limited")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aRefusedRequestUsesUpNoAllowance(kind: SQLDialectKind) async throws {
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        let clock = TestClock()
        try await withKeyward(config, clock: clock) { api, services in
            let limiter = RateLimiter(clock: clock)
            let rules: [(key: String, limits: [RateLimit])] = [("ip", [RateLimit(1, per: 60)]), ("dest", [RateLimit(3, per: 3600)])]
            let stores = services.database.stores
            try await limiter.check(rules, in: stores)
            for _ in 0..<5 {
                await #expect(throws: KeywardError.rateLimited(retryAfter: 40)) { try await limiter.check(rules, in: stores) }
            }
            let destination = try await stores.rateLimits.hit(key: "dest|3600", window: 3600, now: clock.now())
            #expect(destination.count == 2)
        }
    }
}
