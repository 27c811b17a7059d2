import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

@Suite struct RecoveryCodeTests {
    /// Makes a set for the signed-in account (re-authenticating first) and returns the codes.
    private func makeCodes(_ api: TestAPI, token: String, destination: String, totpSecret: String? = nil) async throws -> [String] {
        _ = try await api.reauthenticate(token: token, destination: destination, totpSecret: totpSecret)
        let made = try await api.call(.post, "/api/v1/account/recovery-codes", token: token)
        #expect(made.status == 201)
        return try #require(made["codes"] as? [String])
    }

    @Test(arguments: TestDatabases.kinds)
    func aRecoveryCodeSignsInOnceInPlaceOfTheAuthenticatorAndTellsTheOwner(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, _ in
            let (_, token) = try await api.registerAndVerify("backup@example.com")
            #expect(try await api.call(.post, "/api/v1/account/recovery-codes", token: token).code == "reauth.required")
            _ = try await api.reauthenticate(token: token, destination: "backup@example.com")
            let secret = try await api.bindAuthenticator(token: token)
            let codes = try await makeCodes(api, token: token, destination: "backup@example.com", totpSecret: secret)
            #expect(codes.count == 10 && Set(codes).count == 10)
            #expect(codes.allSatisfy { $0.wholeMatch(of: /[34679ACDEFGHJKMNPQRTWXY]{5}-[34679ACDEFGHJKMNPQRTWXY]{5}/) != nil })
            #expect(try await api.call(.get, "/api/v1/account/security", token: token)["recoveryCodesRemaining"] as? Int == 10)

            let login = try await api.login("backup@example.com")
            #expect(login["methods"] as? [String] == ["totp", "recovery_code"])
            let flowId = try #require(login["flowId"] as? String)
            let wrong = try await api.call(.post, "/api/v1/login/\(flowId)/verify",
                                           json: ["method": "recovery_code", "code": "CCCCC-CCCCC"])
            #expect(wrong.status == 422 && wrong.code == "recovery_code.invalid")
            // Spaces, dashes and case do not matter.
            let typed = codes[0].lowercased().replacingOccurrences(of: "-", with: " ")
            let used = try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "recovery_code", "code": typed])
            #expect(used.status == 200)
            #expect(try await api.message(to: "backup@example.com", body: "9 unused recovery codes remain") != nil)

            let again = try #require(try await api.login("backup@example.com")["flowId"] as? String)
            let reused = try await api.call(.post, "/api/v1/login/\(again)/verify", json: ["method": "recovery_code", "code": codes[0]])
            #expect(reused.code == "recovery_code.invalid")
            #expect(try await api.call(.get, "/api/v1/account/security", token: token)["recoveryCodesRemaining"] as? Int == 9)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func wrongRecoveryCodesCountTowardTheLock(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, _ in
            let (_, token) = try await api.registerAndVerify("guess-backup@example.com")
            let codes = try await makeCodes(api, token: token, destination: "guess-backup@example.com")
            var last: Reply?
            for _ in 0..<5 {
                let flowId = try #require(try await api.login("guess-backup@example.com")["flowId"] as? String)
                last = try await api.call(.post, "/api/v1/login/\(flowId)/verify",
                                          json: ["method": "recovery_code", "code": "MMMMM-MMMMM"])
            }
            #expect(last?.code == "account.locked")
            let locked = try await api.login("guess-backup@example.com")
            #expect(locked.code == "account.locked")
            #expect(codes.count == 10)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aNewSetReplacesTheOldAndTheLastCodeAsksForNewOnes(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, services in
            let (_, token) = try await api.registerAndVerify("renew@example.com")
            let first = try await makeCodes(api, token: token, destination: "renew@example.com")
            // Only keyed hashes are kept: no code appears in the table, with or without its dash.
            let database = try #require(services.database as? SQLKeywardDatabase)
            let stored = try await database.textValues(in: "recovery_codes").joined().joined(separator: " ")
            #expect(stored.count > 0)
            for code in first {
                #expect(!stored.contains(code) && !stored.contains(code.replacingOccurrences(of: "-", with: "")))
            }
            let second = try await api.call(.post, "/api/v1/account/recovery-codes", token: token)
            let codes = try #require(second["codes"] as? [String])
            #expect(Set(codes).isDisjoint(with: first))

            // A re-authentication accepts them too; the old set no longer works.
            let start = try await api.call(.post, "/api/v1/account/reauth", json: ["password": "Tr4velling-Lynx"], token: token)
            let flowId = try #require(start["flowId"] as? String)
            #expect((start["methods"] as? [String])?.contains("recovery_code") == true)
            #expect(try await api.call(.post, "/api/v1/account/reauth/\(flowId)/verify",
                                       json: ["method": "recovery_code", "code": first[0]], token: token).code
                    == "recovery_code.invalid")
            for (index, code) in codes.enumerated() {
                let login = try await api.login("renew@example.com")
                let loginId = try #require(login["flowId"] as? String)
                let reply = try await api.call(.post, "/api/v1/login/\(loginId)/verify",
                                               json: ["method": "recovery_code", "code": code])
                #expect(reply.status == 200, "code \(index)")
            }
            #expect(try await api.message(to: "renew@example.com",
                                      body: "That was your last one: make new recovery codes") != nil)
            let login = try await api.login("renew@example.com")
            #expect(login["methods"] as? [String] == ["email_code"])
            #expect(try await api.call(.get, "/api/v1/account/security", token: token)["recoveryCodesRemaining"] as? Int == 0)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func recoveryAcceptsARecoveryCodeInPlaceOfTheAuthenticator(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, _ in
            let (_, token) = try await api.registerAndVerify("lost-phone@example.com")
            _ = try await api.reauthenticate(token: token, destination: "lost-phone@example.com")
            let secret = try await api.bindAuthenticator(token: token)
            let codes = try await makeCodes(api, token: token, destination: "lost-phone@example.com", totpSecret: secret)
            clock.advance(by: 120)
            let known = try await api.knownCodes(to: "lost-phone@example.com")
            let started = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "lost-phone@example.com"])
            let flowId = try #require(started["flowId"] as? String)
            let code = try await api.newestCode(for: "lost-phone@example.com", excluding: known)
            let verified = try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": code])
            #expect(verified["status"] as? String == "second_factor_required")
            #expect(verified["methods"] as? [String] == ["totp", "recovery_code"])
            let second = try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor",
                                            json: ["method": "recovery_code", "code": codes[3]])
            #expect(second["status"] as? String == "verified")
            let done = try await api.call(.post, "/api/v1/recovery/\(flowId)/password", json: ["newPassword": "Quiet-Meadow-2026"])
            #expect(done.status == 200)
        }
    }
}
