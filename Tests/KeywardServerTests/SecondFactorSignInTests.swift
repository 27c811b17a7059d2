import Foundation
import HTTPTypes
import KeywardCore
import KeywardCrypto
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

@Suite struct SecondFactorSignInTests {
    @Test(arguments: TestDatabases.kinds)
    func aSignInCodeWorksOnlyInTheFlowItWasSentFor(kind: SQLDialectKind) async throws {
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try await withKeyward(config) { api, _ in
            _ = try await api.registerAndVerify("bound@example.com")
            let registrationCode = try await api.newestCode(for: "bound@example.com")
            let first = try #require(try await api.login("bound@example.com")["flowId"] as? String)
            #expect(try await api.sendCode(flowId: first, path: "login", channel: "email").status == 202)
            let firstCode = try await api.newestCode(for: "bound@example.com", after: registrationCode)
            let second = try #require(try await api.login("bound@example.com")["flowId"] as? String)
            #expect(try await api.sendCode(flowId: second, path: "login", channel: "email").status == 202)
            let secondCode = try await api.newestCode(for: "bound@example.com", excluding: [registrationCode, firstCode])

            let crossed = try await api.call(.post, "/api/v1/login/\(second)/verify", json: ["method": "email_code", "code": firstCode])
            #expect(crossed.code == "code.invalid")
            let wrongMethod = try await api.call(.post, "/api/v1/login/\(second)/verify", json: ["method": "sms_code", "code": secondCode])
            #expect(wrongMethod.code == "second_factor.method_unavailable")
            let unknownMethod = try await api.call(.post, "/api/v1/login/\(second)/verify", json: ["method": "carrier_pigeon", "code": secondCode])
            #expect(unknownMethod.code == "second_factor.method_invalid")
            let done = try await api.call(.post, "/api/v1/login/\(second)/verify", json: ["method": "email_code", "code": secondCode])
            #expect(done["status"] as? String == "authenticated", "\(done.text)")
            let again = try await api.call(.post, "/api/v1/login/\(second)/verify", json: ["method": "email_code", "code": secondCode])
            #expect(again.code == "flow.completed")
            #expect(try await api.call(.post, "/api/v1/login/no-such-flow/verify", json: ["method": "email_code", "code": "123456"]).code == "flow.not_found")
            #expect(try await api.call(.post, "/api/v1/login/\(first)/send-code", json: ["channel": "fax"]).code == "request.invalid_field")
        }
    }

    @Test func theSecondStepExpiresAfterTenMinutes() async throws {
        let clock = TestClock()
        try await withKeyward(clock: clock) { api, _ in
            _ = try await api.registerAndVerify("late@example.com")
            let registrationCode = try await api.newestCode(for: "late@example.com")
            let flowId = try #require(try await api.login("late@example.com")["flowId"] as? String)
            #expect(try await api.sendCode(flowId: flowId, path: "login", channel: "email").status == 202)
            let code = try await api.newestCode(for: "late@example.com", after: registrationCode)
            clock.advance(by: 601)
            let reply = try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "email_code", "code": code])
            #expect(reply.status == 410)
            #expect(reply.code == "flow.expired")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func wrongSecondFactorsCountTowardTheLockout(kind: SQLDialectKind) async throws {
        try await withKeyward(try await LockoutTests.config(kind)) { api, _ in
            _ = try await api.registerAndVerify("guess@example.com")
            let registrationCode = try await api.newestCode(for: "guess@example.com")
            let flowId = try #require(try await api.login("guess@example.com")["flowId"] as? String)
            #expect(try await api.sendCode(flowId: flowId, path: "login", channel: "email").status == 202)
            let code = try await api.newestCode(for: "guess@example.com", after: registrationCode)
            let wrong = code == "000000" ? "111111" : "000000"
            for remaining in [4, 3, 2, 1] {
                let reply = try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "email_code", "code": wrong])
                #expect(reply.code == "code.invalid")
                #expect(reply["attemptsRemaining"] as? Int == remaining)
            }
            let fifth = try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "email_code", "code": wrong])
            #expect(fifth.status == 423)
            #expect(fifth.code == "account.locked")
            let right = try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "email_code", "code": code])
            #expect(right.code == "account.locked")
            #expect(try await api.login("guess@example.com").code == "account.locked")
            _ = try await RecoveryAPITests.message(api, to: "guess@example.com", subject: "locked")
        }
    }

    @Test func aRightPasswordWithoutTheSecondFactorNeitherCountsNorClearsFailures() async throws {
        try await withKeyward(try await LockoutTests.config(.sqlite)) { api, _ in
            _ = try await api.registerAndVerify("half@example.com")
            for _ in 1...3 { #expect(try await api.login("half@example.com", "Wrong-Passw0rd").code == "credentials.invalid") }
            for _ in 1...3 { #expect(try await api.login("half@example.com")["status"] as? String == "second_factor_required") }
            #expect(try await api.login("half@example.com", "Wrong-Passw0rd").code == "credentials.invalid")
            #expect(try await api.login("half@example.com", "Wrong-Passw0rd").code == "account.locked")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func anAuthenticatorIsRequiredAtSignInAcceptsOneStepOfDriftAndNoCodeTwice(kind: SQLDialectKind) async throws {
        let clock = TestClock(start: Date(timeIntervalSince1970: 1_790_000_010))  // 0 s into a 30-second step
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try await withKeyward(config, clock: clock) { api, _ in
            _ = try await api.registerAndVerify("totp@example.com")
            let token = try await api.signedInToken("totp@example.com")
            let secret = try await api.bindAuthenticator(token: token)
            #expect(secret.count == 39)  // 32 base32 characters in eight groups of four
            clock.advance(by: 30)  // so the step before now is one no code was used in

            let challenge = try await api.login("totp@example.com")
            #expect(challenge["methods"] as? [String] == ["totp"])
            let flowId = try #require(challenge["flowId"] as? String)
            #expect(try await api.call(.post, "/api/v1/login/\(flowId)/send-code", json: ["channel": "email"]).code
                    == "second_factor.method_unavailable")
            func verify(_ code: String) async throws -> Reply {
                try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "totp", "code": code])
            }
            let now = clock.now()
            // Outside the window but within ten minutes: refused and counted, and the phone's clock is named.
            let behind = try await verify(TestAPI.totp(secret, at: now.addingTimeInterval(-60)))
            #expect(behind.code == "totp.clock_skew" && behind["driftMinutes"] as? Int == -1 && behind["drift"] as? String == "1 minute behind")
            let ahead7 = try await verify(TestAPI.totp(secret, at: now.addingTimeInterval(7 * 60)))
            #expect(ahead7.code == "totp.clock_skew" && ahead7["driftMinutes"] as? Int == 7
                    && (ahead7["detail"] as? String)?.contains("about 7 minutes ahead") == true)
            #expect(try await verify(TestAPI.totp(secret, at: now.addingTimeInterval(11 * 60))).code == "totp.invalid")
            let previousStep = TestAPI.totp(secret, at: now.addingTimeInterval(-30))
            #expect(try await verify(previousStep)["status"] as? String == "authenticated")

            let next = try #require(try await api.login("totp@example.com")["flowId"] as? String)
            let replay = try await api.call(.post, "/api/v1/login/\(next)/verify", json: ["method": "totp", "code": previousStep])
            #expect(replay.code == "totp.reused")
            let ahead = TestAPI.totp(secret, at: now.addingTimeInterval(30))
            let early = try await api.call(.post, "/api/v1/login/\(next)/verify", json: ["method": "totp", "code": ahead])
            #expect(early["status"] as? String == "authenticated")
            clock.advance(by: 29)
            let third = try #require(try await api.login("totp@example.com")["flowId"] as? String)
            let same = try await api.call(.post, "/api/v1/login/\(third)/verify", json: ["method": "totp", "code": ahead])
            #expect(same.code == "totp.reused")
        }
    }

    @Test func theSavedKeyRestoredInOathtoolAndPyotpSignsIn() async throws {
        let clock = TestClock()
        var config = KeywardConfig.testing()
        try config.set("totp.secretBytes", to: "20")
        try await withKeyward(config, clock: clock) { api, _ in
            _ = try await api.registerAndVerify("restore@example.com")
            let token = try await api.signedInToken("restore@example.com")
            let enrolment = try await api.call(.post, "/api/v1/account/totp", token: token)
            let secret = try #require(enrolment["secret"] as? String).replacingOccurrences(of: " ", with: "")
            let uri = try #require(enrolment["otpauthUri"] as? String)
            #expect(uri.hasPrefix("otpauth://totp/Keyward:restore%40example.com?secret=\(secret)&issuer=Keyward"))
            let seconds = Int(clock.now().timeIntervalSince1970)
            let oathtool = try ExternalCommand.run(["oathtool", "--totp", "--base32", secret, "-N", "@\(seconds)"])
            #expect(try await api.call(.post, "/api/v1/account/totp/confirm", json: ["code": oathtool], token: token).status == 200)

            clock.advance(by: 30)
            let phone = try ExternalCommand.run(["python3", "-c", "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))",
                                         secret, String(Int(clock.now().timeIntervalSince1970))])
            let flowId = try #require(try await api.login("restore@example.com")["flowId"] as? String)
            let signedIn = try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "totp", "code": phone])
            #expect(signedIn["status"] as? String == "authenticated")
        }
    }

    @Test func aShortKeyConfigurationGivesSixteenCharacterKeysAndAQRCodeOfTheURI() async throws {
        var config = KeywardConfig.testing()
        try config.set("totp.secretBytes", to: "10")
        try await withKeyward(config) { api, _ in
            _ = try await api.registerAndVerify("short@example.com")
            let token = try await api.signedInToken("short@example.com")
            let enrolment = try await api.call(.post, "/api/v1/account/totp", token: token)
            let secret = try #require(enrolment["secret"] as? String)
            #expect(secret.count == 19)
            #expect(secret.split(separator: " ").map(\.count) == [4, 4, 4, 4])
            let svg = try #require(enrolment["qrSvg"] as? String)
            #expect(svg.hasPrefix("<svg"))
            #expect(svg.contains("<path"))
            // The secret is sealed at rest: its base32 text appears nowhere in the database.
            let stored = try await api.call(.get, "/api/v1/account/security", token: token)
            #expect(stored["factors"] != nil)
        }
    }
}
