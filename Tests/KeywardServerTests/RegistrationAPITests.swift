import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

@Suite struct RegistrationAPITests {
    @Test(arguments: TestDatabases.kinds)
    func anEmailRegistrationIsVerifiedWithTheMailedCodeAndSignsIn(kind: SQLDialectKind) async throws {
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        let clock = TestClock()
        try await withKeyward(config, clock: clock) { api, _ in
            let started = try await api.call(.post, "/api/v1/registrations",
                                             json: ["identifier": " Alice@Example.COM ", "password": "Tr4velling-Lynx"])
            #expect(started.status == 201)
            #expect(started["status"] as? String == "pending_verification")
            #expect(started["channel"] as? String == "email")
            #expect(started["resendAvailableAt"] as? String == ISO8601.string(clock.now().addingTimeInterval(60)))
            let id = try #require(started["registrationId"] as? String)

            let code = try await api.newestCode(for: "alice@example.com")
            #expect(code.count == 6 && code.allSatisfy(\.isNumber))
            #expect((try await api.messages(to: "alice@example.com")).first?["body"] as? String ?? "" != "")

            let verified = try await api.call(.post, "/api/v1/registrations/\(id)/verify", json: ["code": code])
            #expect(verified.status == 200)
            #expect(verified["status"] as? String == "active")
            let session = try #require(verified["session"] as? [String: Any])
            let token = try #require(session["token"] as? String)
            #expect(token.count == 43)
            #expect(session["expiresAt"] as? String == ISO8601.string(clock.now().addingTimeInterval(30 * 86400)))

            let me = try await api.call(.get, "/api/v1/session", token: token)
            #expect(me.status == 200)
            #expect(me["accountId"] as? String == verified["accountId"] as? String)
            let identifiers = try #require(me["identifiers"] as? [[String: Any]])
            #expect(identifiers.first?["value"] as? String == "alice@example.com")
            #expect(identifiers.first?["verified"] as? Bool == true)
        }
    }

    @Test func aPhoneRegistrationSendsItsCodeBySMS() async throws {
        try await withKeyward { api, _ in
            let started = try await api.call(.post, "/api/v1/registrations",
                                             json: ["identifier": "+44 (7700) 900-123", "password": "Tr4velling-Lynx"])
            #expect(started.status == 201)
            #expect(started["channel"] as? String == "sms")
            let code = try await api.newestCode(for: "+447700900123")
            let sms = try await api.messages(to: "+447700900123").first
            #expect(sms?["channel"] as? String == "sms")
            #expect((sms?["body"] as? String)?.contains(code) == true)
        }
    }

    @Test func badIdentifiersAndWeakPasswordsAreRejectedWithTheirCodes() async throws {
        try await withKeyward { api, _ in
            let badIdentifier = try await api.call(.post, "/api/v1/registrations", json: ["identifier": "07700 900123", "password": "Tr4velling-Lynx"])
            #expect(badIdentifier.status == 422)
            #expect(badIdentifier.code == "identifier.invalid")
            #expect(badIdentifier.headers[.contentType] == "application/problem+json")

            let weak = try await api.call(.post, "/api/v1/registrations", json: ["identifier": "bob@example.com", "password": "bob"])
            #expect(weak.status == 422)
            #expect(weak.code == "password.invalid")
            let violations = try #require(weak["violations"] as? [[String: Any]]).compactMap { $0["code"] as? String }
            #expect(violations == ["password.too_short", "password.needs_uppercase", "password.needs_digit", "password.common",
                                   "password.contains_identifier"])
            #expect(try await api.messages(to: "bob@example.com").isEmpty)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func fiveWrongCodesKillTheCode(kind: SQLDialectKind) async throws {
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try await withKeyward(config) { api, _ in
            let id = try await api.register("carol@example.com")
            let code = try await api.newestCode(for: "carol@example.com")
            let wrong = code == "000000" ? "111111" : "000000"
            for remaining in [4, 3, 2, 1] {
                let reply = try await api.call(.post, "/api/v1/registrations/\(id)/verify", json: ["code": wrong])
                #expect(reply.status == 422)
                #expect(reply.code == "code.invalid")
                #expect(reply["attemptsRemaining"] as? Int == remaining)
            }
            let fifth = try await api.call(.post, "/api/v1/registrations/\(id)/verify", json: ["code": wrong])
            #expect(fifth.code == "code.exhausted")
            #expect(fifth.status == 410)
            let right = try await api.call(.post, "/api/v1/registrations/\(id)/verify", json: ["code": code])
            #expect(right.code == "code.exhausted")
        }
    }

    @Test func aCodeExpiresAfterTenMinutes() async throws {
        let clock = TestClock()
        try await withKeyward(clock: clock) { api, _ in
            let id = try await api.register("dave@example.com")
            let code = try await api.newestCode(for: "dave@example.com")
            clock.advance(by: 600)
            let reply = try await api.call(.post, "/api/v1/registrations/\(id)/verify", json: ["code": code])
            #expect(reply.status == 410)
            #expect(reply.code == "code.expired")
        }
    }

    @Test func resendIsRefusedWithinSixtySecondsAndTheNewCodeReplacesTheOld() async throws {
        let clock = TestClock()
        try await withKeyward(clock: clock) { api, _ in
            let id = try await api.register("erin@example.com")
            let first = try await api.newestCode(for: "erin@example.com")
            clock.advance(by: 45)
            let early = try await api.call(.post, "/api/v1/registrations/\(id)/resend")
            #expect(early.status == 429)
            #expect(early.code == "code.resend_too_soon")
            #expect(early.headers[.retryAfter] == "15")
            #expect(early["retryAfter"] as? Int == 15)

            clock.advance(by: 15)
            let resent = try await api.call(.post, "/api/v1/registrations/\(id)/resend")
            #expect(resent.status == 202)
            #expect(resent["resendAvailableAt"] as? String == ISO8601.string(clock.now().addingTimeInterval(60)))
            let second = try await api.newestCode(for: "erin@example.com", after: first)
            if first != second {
                let old = try await api.call(.post, "/api/v1/registrations/\(id)/verify", json: ["code": first])
                #expect(old.code == "code.invalid")
            }
            let ok = try await api.call(.post, "/api/v1/registrations/\(id)/verify", json: ["code": second])
            #expect(ok.status == 200)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func registeringAgainResumesTheUnfinishedRegistration(kind: SQLDialectKind) async throws {
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        let clock = TestClock()
        try await withKeyward(config, clock: clock) { api, _ in
            let firstId = try await api.register("frank@example.com", password: "First-Passw0rd")
            let firstCode = try await api.newestCode(for: "frank@example.com")
            let tooSoon = try await api.call(.post, "/api/v1/registrations",
                                             json: ["identifier": "frank@example.com", "password": "Second-Passw0rd"])
            #expect(tooSoon.code == "code.resend_too_soon")

            let pendingLogin = try await api.login("frank@example.com", "First-Passw0rd")
            #expect(pendingLogin.status == 409)
            #expect(pendingLogin.code == "account.registration_incomplete")

            clock.advance(by: 61)
            let secondId = try await api.register("frank@example.com", password: "Second-Passw0rd")
            #expect(secondId != firstId)
            let secondCode = try await api.newestCode(for: "frank@example.com", after: firstCode)
            let crossed = try await api.call(.post, "/api/v1/registrations/\(secondId)/verify", json: ["code": firstCode])
            if firstCode != secondCode { #expect(crossed.code == "code.invalid") }
            let verified = try await api.call(.post, "/api/v1/registrations/\(secondId)/verify", json: ["code": secondCode])
            #expect(verified.status == 200)

            let stale = try await api.call(.post, "/api/v1/registrations/\(firstId)/verify", json: ["code": firstCode])
            #expect(stale.code == "registration.expired")
            let again = try await api.call(.post, "/api/v1/registrations/\(secondId)/verify", json: ["code": secondCode])
            #expect(again.code == "registration.completed")
            #expect(try await api.login("frank@example.com", "First-Passw0rd").code == "credentials.invalid")
            #expect(try await api.login("frank@example.com", "Second-Passw0rd").status == 200)

            let taken = try await api.call(.post, "/api/v1/registrations",
                                           json: ["identifier": "FRANK@example.com", "password": "Third-Passw0rd"])
            #expect(taken.status == 409)
            #expect(taken.code == "identifier.taken")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func registeringAgainWithTheSamePasswordWithinTheResendIntervalReturnsToTheCodeStep(kind: SQLDialectKind) async throws {
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        let clock = TestClock()
        try await withKeyward(config, clock: clock) { api, _ in
            let body: [String: Any] = ["identifier": "grace@example.com", "password": "Tr4velling-Lynx"]
            let first = try await api.call(.post, "/api/v1/registrations", json: body)
            #expect(first.status == 201)
            #expect(first["codeAlreadySent"] as? Bool == false)
            let code = try await api.newestCode(for: "grace@example.com")

            clock.advance(by: 20)
            let again = try await api.call(.post, "/api/v1/registrations", json: body)
            #expect(again.status == 200)
            #expect(again["registrationId"] as? String == first["registrationId"] as? String)
            #expect(again["resendAvailableAt"] as? String == first["resendAvailableAt"] as? String)
            #expect(again["codeAlreadySent"] as? Bool == true)
            #expect(again["status"] as? String == "pending_verification")
            // No second code was sent: the one already in the mailbox completes the registration.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await api.knownCodes(to: "grace@example.com") == [code])
            let id = try #require(again["registrationId"] as? String)
            let verified = try await api.call(.post, "/api/v1/registrations/\(id)/verify", json: ["code": code])
            #expect(verified.status == 200)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aPendingRegistrationsPasswordCannotBeGuessedByRegisteringAgain(kind: SQLDialectKind) async throws {
        var config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try config.set("rateLimit.signInsPerIdentifier", to: "3/60")
        try await withKeyward(config) { api, services in
            _ = try await api.register("heidi@example.com", password: "Tr4velling-Lynx")
            for guess in ["Guess-Numb3r-1", "Guess-Numb3r-2", "Guess-Numb3r-3"] {
                let wrong = try await api.call(.post, "/api/v1/registrations",
                                               json: ["identifier": "heidi@example.com", "password": guess])
                #expect(wrong.code == "code.resend_too_soon")
            }
            // The right password, once the guesses are used up, tells nothing.
            let right = try await api.call(.post, "/api/v1/registrations",
                                           json: ["identifier": "heidi@example.com", "password": "Tr4velling-Lynx"])
            #expect(right.status == 429)
            #expect(right.code == "rate_limited")
            #expect(right["registrationId"] == nil)
            let account = try #require(try await services.database.stores.accounts.find(
                identifier: Identifier(kind: .email, value: "heidi@example.com")))
            let events = try await services.database.stores.audit.recent(accountId: account.id, limit: 20)
            #expect(events.contains { $0.kind == .rateLimited && $0.details["action"] == "registration.resume" })
        }
    }

    @Test func unknownRegistrationsAreNotFound() async throws {
        try await withKeyward { api, _ in
            let verify = try await api.call(.post, "/api/v1/registrations/nope/verify", json: ["code": "123456"])
            #expect(verify.status == 404)
            #expect(verify.code == "registration.not_found")
            let resend = try await api.call(.post, "/api/v1/registrations/nope/resend")
            #expect(resend.code == "registration.not_found")
        }
    }
}
