import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

@Suite struct SecuritySettingsTests {
    @Test func sensitiveChangesNeedAFreshReauthenticationThatExpires() async throws {
        let clock = TestClock()
        try await withKeyward(clock: clock) { api, _ in
            let (_, registered) = try await api.registerAndVerify("fresh@example.com")
            let refused = try await api.call(.post, "/api/v1/account/totp", token: registered)
            #expect(refused.status == 403)
            #expect(refused.code == "reauth.required")
            #expect(try await api.call(.put, "/api/v1/account/anti-phishing-code", json: ["code": "Lynx42"], token: registered).code
                    == "reauth.required")

            let wrong = try await api.call(.post, "/api/v1/account/reauth", json: ["password": "Wrong-Passw0rd"], token: registered)
            #expect(wrong.code == "password.incorrect")
            let done = try await api.reauthenticate(token: registered, destination: "fresh@example.com")
            let until = try #require(done["reauthenticatedUntil"] as? String)
            #expect(until == ISO8601.string(clock.now().addingTimeInterval(300)))
            #expect(try await api.call(.post, "/api/v1/account/totp", token: registered).status == 201)
            let security = try await api.call(.get, "/api/v1/account/security", token: registered)
            #expect(security["reauthenticatedUntil"] as? String == until)

            clock.advance(by: 301)
            #expect(try await api.call(.post, "/api/v1/account/totp", token: registered).code == "reauth.required")
            let other = try await api.signedInToken("fresh@example.com")
            #expect(try await api.call(.post, "/api/v1/account/totp", token: other).status == 201)
            let flowOfOther = try #require(try await api.call(.post, "/api/v1/account/reauth", json: ["password": "Tr4velling-Lynx"],
                                                              token: other)["flowId"] as? String)
            let stolen = try await api.call(.post, "/api/v1/account/reauth/\(flowOfOther)/verify",
                                            json: ["method": "email_code", "code": "123456"], token: registered)
            #expect(stolen.code == "flow.not_found")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func changingThePasswordEndsOtherSessionsHoldsWithdrawalsAndTellsTheOwner(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        let config = try await LockoutTests.config(kind)
        try await withKeyward(config, clock: clock) { api, services in
            let (accountId, _) = try await api.registerAndVerify("change@example.com")
            let laptop = try await api.signedInToken("change@example.com")
            let phone = try await api.signedInToken("change@example.com")
            let body = ["currentPassword": "Wrong-Passw0rd", "newPassword": "Fresh-Harbour-77"]
            #expect(try await api.call(.put, "/api/v1/account/password", json: body, token: phone).code == "password.incorrect")
            let weak = try await api.call(.put, "/api/v1/account/password",
                                          json: ["currentPassword": "Tr4velling-Lynx", "newPassword": "short"], token: phone)
            #expect(weak.code == "password.invalid")
            let same = try await api.call(.put, "/api/v1/account/password",
                                          json: ["currentPassword": "Tr4velling-Lynx", "newPassword": "Tr4velling-Lynx"], token: phone)
            #expect(same.code == "password.reused")
            let changed = try await api.call(.put, "/api/v1/account/password",
                                             json: ["currentPassword": "Tr4velling-Lynx", "newPassword": "Fresh-Harbour-77"], token: phone)
            #expect(changed["sessionsRevoked"] as? Int == 2)  // the laptop and the registration's session
            #expect(try await api.call(.get, "/api/v1/session", token: laptop).status == 401)
            #expect(try await api.call(.get, "/api/v1/session", token: phone).status == 200)
            #expect(try await api.login("change@example.com").code == "credentials.invalid")
            #expect(try await api.login("change@example.com", "Fresh-Harbour-77")["status"] as? String == "second_factor_required")
            let changes = try await services.database.stores.flows.list(accountId: accountId, since: .distantPast, limit: 20)
                .filter { $0.kind == .settingsChange }
            #expect(changes.map(\.state) == ["completed"] && changes.first?.context.contains("password.changed") == true,
                    "the change is a flow like the rest, complete once made")

            let holds = try #require(try await api.call(.get, "/api/v1/account/security", token: phone)["holds"] as? [[String: Any]])
            #expect(holds.first?["reason"] as? String == "password.changed")
            #expect(holds.first?["until"] as? String == ISO8601.string(clock.now().addingTimeInterval(86400)))
            let notice = try await RecoveryAPITests.message(api, to: "change@example.com", subject: "password was changed")
            #expect((notice["body"] as? String)?.contains("Withdrawals are paused until") == true)

            clock.advance(by: 400)
            let stale = try await api.call(.put, "/api/v1/account/password",
                                           json: ["currentPassword": "Fresh-Harbour-77", "newPassword": "Other-Harbour-78"], token: phone)
            #expect(stale.code == "reauth.required")
            let kept = try await api.signedInToken("change@example.com", "Fresh-Harbour-77")
            let keeping = try await api.call(.put, "/api/v1/account/password",
                                             json: ["currentPassword": "Fresh-Harbour-77", "newPassword": "Other-Harbour-78",
                                                    "keepOtherSessions": true], token: kept)
            #expect(keeping["sessionsRevoked"] as? Int == 0)
            #expect(try await api.call(.get, "/api/v1/session", token: phone).status == 200)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theAntiPhishingCodeAppearsInEveryLaterEmailAndNeverInSMS(kind: SQLDialectKind) async throws {
        let config = try await LockoutTests.config(kind)
        try await withKeyward(config) { api, _ in
            _ = try await api.registerAndVerify("phish@example.com")
            let token = try await api.signedInToken("phish@example.com")
            #expect(try await api.call(.put, "/api/v1/account/anti-phishing-code", json: ["code": "no"], token: token).code
                    == "anti_phishing_code.invalid")
            #expect(try await api.call(.put, "/api/v1/account/anti-phishing-code", json: ["code": "has spaces"], token: token).code
                    == "anti_phishing_code.invalid")
            let before = Set(try await api.messages(to: "phish@example.com").compactMap { $0["body"] as? String })
            #expect(try await api.call(.put, "/api/v1/account/anti-phishing-code", json: ["code": "Lynx-42"], token: token).status == 200)
            #expect(try await api.call(.get, "/api/v1/account/security", token: token)["antiPhishingCodeSet"] as? Bool == true)
            _ = try await api.signedInToken("phish@example.com")
            for _ in 1...5 { _ = try await api.login("phish@example.com", "Wrong-Passw0rd") }
            _ = try await RecoveryAPITests.message(api, to: "phish@example.com", subject: "locked")

            let later = try await api.messages(to: "phish@example.com").filter { !before.contains($0["body"] as? String ?? "") }
            #expect(later.count >= 3)  // the change notice, the sign-in code, the lock notice
            for message in later {
                #expect((message["body"] as? String)?.hasPrefix("Your anti-phishing code: Lynx-42\n") == true,
                        "\(message["subject"] ?? "")")
            }
            let stored = try #require(try await api.call(.get, "/api/v1/account/security", token: token).json["antiPhishingCodeSet"])
            #expect(stored as? Bool == true)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aPhoneIsBoundWithItsCodeAndChangedWithCodesToTheNewAndTheOldNumber(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        let config = try await LockoutTests.config(kind)
        try await withKeyward(config, clock: clock) { api, _ in
            _ = try await api.registerAndVerify("mobile@example.com")
            let token = try await api.signedInToken("mobile@example.com")
            #expect(try await api.call(.post, "/api/v1/account/phone", json: ["phone": "mobile@example.com"], token: token).code
                    == "contact.kind_mismatch")
            let bind = try await api.call(.post, "/api/v1/account/phone", json: ["phone": "+44 7700 900111"], token: token)
            #expect(bind.status == 202)
            #expect(bind["verifyOld"] as? Bool == false)
            let bindFlow = try #require(bind["flowId"] as? String)
            let firstCode = try await api.newestCode(for: "+447700900111")
            let bound = try await api.call(.post, "/api/v1/account/phone/\(bindFlow)/verify", json: ["newCode": firstCode], token: token)
            #expect(bound["phone"] as? String == "+447700900111")
            let security = try await api.call(.get, "/api/v1/account/security", token: token)
            #expect((security["loginPolicy"] as? [String: Any])?["methods"] as? [String] == ["email_code", "sms_code"])
            #expect((security["factors"] as? [String: Any])?["phone"] as? String == "+447700900111")

            clock.advance(by: 61)
            let change = try await api.call(.post, "/api/v1/account/phone", json: ["phone": "+447700900222"], token: token)
            #expect(change["verifyOld"] as? Bool == true)
            #expect(change["proofs"] as? [String] == ["newCode", "oldCode"])
            let changeFlow = try #require(change["flowId"] as? String)
            let newCode = try await api.newestCode(for: "+447700900222")
            let oldCode = try await api.newestCode(for: "+447700900111", after: firstCode)
            let missing = try await api.call(.post, "/api/v1/account/phone/\(changeFlow)/verify", json: ["newCode": newCode], token: token)
            #expect(missing.code == "contact.old_code_required")
            let swapped = try await api.call(.post, "/api/v1/account/phone/\(changeFlow)/verify",
                                             json: ["newCode": oldCode, "oldCode": newCode], token: token)
            #expect(swapped.code == "code.invalid")
            let changed = try await api.call(.post, "/api/v1/account/phone/\(changeFlow)/verify",
                                             json: ["newCode": newCode, "oldCode": oldCode], token: token)
            #expect(changed["phone"] as? String == "+447700900222")
            #expect(try await api.login("+447700900111").code == "account.not_found")
            #expect(try await api.login("+447700900222")["status"] as? String == "second_factor_required")
            // The old number heard of the binding before; this is the notice of the change.
            let notice = try await RecoveryAPITests.message(api, to: "+447700900111", subject: "security alert",
                                                            body: "phone number of your account was changed")
            #expect((notice["body"] as? String)?.contains("Not you?") == true)
            let holds = try #require(try await api.call(.get, "/api/v1/account/holds", token: token)["holds"] as? [[String: Any]])
            #expect(holds.contains { $0["reason"] as? String == "phone.changed" })
        }
    }

    @Test func aLostOldNumberIsReplacedWithTheEmailAndTheAuthenticatorOrOnlyBySupport() async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(.sqlite), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("lost@example.com")
            let token = try await api.signedInToken("lost@example.com")
            let bind = try #require(try await api.call(.post, "/api/v1/account/phone", json: ["phone": "+447700900333"],
                                                       token: token)["flowId"] as? String)
            let code = try await api.newestCode(for: "+447700900333")
            #expect(try await api.call(.post, "/api/v1/account/phone/\(bind)/verify", json: ["newCode": code], token: token).status == 200)
            let noAuthenticator = try await api.call(.post, "/api/v1/account/phone",
                                                     json: ["phone": "+447700900444", "oldAvailable": false], token: token)
            #expect(noAuthenticator.code == "contact.support_required")

            let secret = try await api.bindAuthenticator(token: token)
            clock.advance(by: 300)
            #expect(try await api.reauthenticate(token: token, destination: "lost@example.com", totpSecret: secret).status == 200)
            clock.advance(by: 30)
            let before = try await api.knownCodes(to: "lost@example.com")
            let start = try await api.call(.post, "/api/v1/account/phone", json: ["phone": "+447700900444", "oldAvailable": false],
                                           token: token)
            #expect(start["proofs"] as? [String] == ["newCode", "otherCode", "totpCode"])
            let flowId = try #require(start["flowId"] as? String)
            let newCode = try await api.newestCode(for: "+447700900444")
            let emailCode = try await api.newestCode(for: "lost@example.com", excluding: before)
            let noTOTP = try await api.call(.post, "/api/v1/account/phone/\(flowId)/verify",
                                            json: ["newCode": newCode, "otherCode": emailCode], token: token)
            #expect(noTOTP.code == "contact.code_required")
            #expect(noTOTP["field"] as? String == "totpCode")
            let changed = try await api.call(.post, "/api/v1/account/phone/\(flowId)/verify", json: [
                "newCode": newCode, "otherCode": emailCode, "totpCode": TestAPI.totp(secret, at: clock.now())], token: token)
            #expect(changed["phone"] as? String == "+447700900444")
        }
    }

    @Test func removingTheAuthenticatorNeedsItsFreshCodeAndSignInFallsBackToCodes() async throws {
        let clock = TestClock()
        try await withKeyward(clock: clock) { api, _ in
            _ = try await api.registerAndVerify("remove@example.com")
            let token = try await api.signedInToken("remove@example.com")
            let secret = try await api.bindAuthenticator(token: token)
            let security = try await api.call(.get, "/api/v1/account/security", token: token)
            #expect(security["boundMethods"] as? [String] == ["email_code", "totp"])
            #expect((security["loginPolicy"] as? [String: Any])?["methods"] as? [String] == ["totp"])
            clock.advance(by: 300)
            #expect(try await api.call(.delete, "/api/v1/account/totp", token: token).code == "reauth.required")
            let start = try await api.call(.post, "/api/v1/account/reauth", json: ["password": "Tr4velling-Lynx"], token: token)
            #expect(start["methods"] as? [String] == ["totp"])
            #expect(try await api.reauthenticate(token: token, destination: "remove@example.com", totpSecret: secret).status == 200)
            #expect(try await api.call(.delete, "/api/v1/account/totp", token: token).status == 204)
            #expect(try await api.call(.delete, "/api/v1/account/totp", token: token).code == "authenticator.not_bound")
            #expect(try await api.login("remove@example.com")["methods"] as? [String] == ["email_code"])
            let holds = try #require(try await api.call(.get, "/api/v1/account/holds", token: token)["holds"] as? [[String: Any]])
            #expect(Set(holds.compactMap { $0["reason"] as? String }) == ["authenticator.bound", "authenticator.removed"])
            #expect(try await api.call(.post, "/api/v1/account/totp/confirm", json: ["code": "123456"], token: token).code
                    == "authenticator.not_pending")
        }
    }
}

@Suite struct RecoverySecondFactorTests {
    @Test(arguments: TestDatabases.kinds)
    func aResetAsksForTheAuthenticatorBeforeTheNewPassword(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("forgot@example.com")
            let token = try await api.signedInToken("forgot@example.com")
            let secret = try await api.bindAuthenticator(token: token)
            clock.advance(by: 61)
            let known = try await api.knownCodes(to: "forgot@example.com")
            let flowId = try #require(try await api.call(.post, "/api/v1/recovery", json: ["identifier": "forgot@example.com"])["flowId"] as? String)
            let code = try await api.newestCode(for: "forgot@example.com", excluding: known)
            let verified = try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": code])
            #expect(verified["status"] as? String == "second_factor_required")
            #expect(verified["methods"] as? [String] == ["totp"])
            let early = try await api.call(.post, "/api/v1/recovery/\(flowId)/password", json: ["newPassword": "Brand-New-Passw0rd"])
            #expect(early.code == "recovery.second_factor_required")
            let wrong = try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor",
                                           json: ["method": "totp", "code": TestAPI.totp(secret, at: clock.now().addingTimeInterval(-3600))])
            #expect(wrong.code == "totp.invalid")
            let right = try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor",
                                           json: ["method": "totp", "code": TestAPI.totp(secret, at: clock.now())])
            #expect(right["status"] as? String == "verified")
            let done = try await api.call(.post, "/api/v1/recovery/\(flowId)/password", json: ["newPassword": "Brand-New-Passw0rd"])
            #expect(done["status"] as? String == "completed")
        }
    }

    @Test func aResetByEmailAsksForAnSMSCodeWhenAPhoneIsBound() async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(.sqlite), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("both@example.com")
            let token = try await api.signedInToken("both@example.com")
            let bind = try #require(try await api.call(.post, "/api/v1/account/phone", json: ["phone": "+447700900777"],
                                                       token: token)["flowId"] as? String)
            let phoneCode = try await api.newestCode(for: "+447700900777")
            #expect(try await api.call(.post, "/api/v1/account/phone/\(bind)/verify", json: ["newCode": phoneCode], token: token).status == 200)
            clock.advance(by: 61)
            let known = try await api.knownCodes(to: "both@example.com")
            let flowId = try #require(try await api.call(.post, "/api/v1/recovery", json: ["identifier": "both@example.com"])["flowId"] as? String)
            let code = try await api.newestCode(for: "both@example.com", excluding: known)
            let verified = try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": code])
            #expect(verified["methods"] as? [String] == ["sms_code"])
            #expect((verified["destinations"] as? [String: String])?["sms_code"] == "+44•••••••777")
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor/send-code", json: ["channel": "email"]).code
                    == "second_factor.method_unavailable")
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor/send-code", json: ["channel": "sms"]).status == 202)
            let sms = try await api.newestCode(for: "+447700900777", after: phoneCode)
            let right = try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor", json: ["method": "sms_code", "code": sms])
            #expect(right["status"] as? String == "verified")
        }
    }

    @Test func entriesThatAreNotWrongCodesNeverPauseARecovery() async throws {
        let clock = TestClock()
        var config = try await LockoutTests.config(.sqlite)
        try config.set("recovery.maxCodeFailures", to: "3")
        try await withKeyward(config, clock: clock) { api, _ in
            _ = try await api.registerAndVerify("steady@example.com")
            let token = try await api.signedInToken("steady@example.com")
            let bind = try #require(try await api.call(.post, "/api/v1/account/phone", json: ["phone": "+447700900888"],
                                                       token: token)["flowId"] as? String)
            let phoneCode = try await api.newestCode(for: "+447700900888")
            #expect(try await api.call(.post, "/api/v1/account/phone/\(bind)/verify", json: ["newCode": phoneCode], token: token).status == 200)
            clock.advance(by: 61)
            let known = try await api.knownCodes(to: "steady@example.com")
            let flowId = try #require(try await api.call(.post, "/api/v1/recovery", json: ["identifier": "steady@example.com"])["flowId"] as? String)
            let code = try await api.newestCode(for: "steady@example.com", excluding: known)
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": code])["status"] as? String
                    == "second_factor_required")
            for method in ["sms_code", "email_code", "sms_code", "email_code"] {
                let refused = try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor", json: ["method": method, "code": "123456"])
                #expect(["second_factor.code_not_sent", "second_factor.method_unavailable"].contains(refused.code ?? ""))
            }
            clock.advance(by: 61)
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor/send-code", json: ["channel": "sms"]).status == 202)
            let sms = try await api.newestCode(for: "+447700900888", after: phoneCode)
            let right = try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor", json: ["method": "sms_code", "code": sms])
            #expect(right["status"] as? String == "verified")
        }
    }
}

@Suite struct EmailChangeTests {
    @Test(arguments: TestDatabases.kinds)
    func theEmailIsChangedWithCodesToBothAddressesAndNeverToOneThatIsTaken(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("taken@example.com")
            _ = try await api.registerAndVerify("moving@example.com")
            let token = try await api.signedInToken("moving@example.com")
            #expect(try await api.call(.post, "/api/v1/account/email", json: ["email": "Moving@Example.com"], token: token).code
                    == "contact.unchanged")
            #expect(try await api.call(.post, "/api/v1/account/email", json: ["email": "taken@example.com"], token: token).code
                    == "identifier.taken")
            #expect(try await api.call(.post, "/api/v1/account/email", json: ["email": "+447700900999"], token: token).code
                    == "contact.kind_mismatch")
            #expect(try await api.call(.post, "/api/v1/account/email", json: [:], token: token).code == "request.invalid_field")
            let known = try await api.knownCodes(to: "moving@example.com")
            clock.advance(by: 61)  // past the per-minute limit on codes from one address
            let start = try await api.call(.post, "/api/v1/account/email", json: ["email": "moved@example.com"], token: token)
            #expect(start["proofs"] as? [String] == ["newCode", "oldCode"])
            let flowId = try #require(start["flowId"] as? String)
            let newCode = try await api.newestCode(for: "moved@example.com")
            let oldCode = try await api.newestCode(for: "moving@example.com", excluding: known)
            #expect(try await api.call(.post, "/api/v1/account/phone/\(flowId)/verify",
                                       json: ["newCode": newCode, "oldCode": oldCode], token: token).code == "flow.not_found")
            let changed = try await api.call(.post, "/api/v1/account/email/\(flowId)/verify",
                                             json: ["newCode": newCode, "oldCode": oldCode], token: token)
            #expect(changed["email"] as? String == "moved@example.com")
            #expect(try await api.login("moving@example.com").code == "account.not_found")
            _ = try await RecoveryAPITests.message(api, to: "moving@example.com", subject: "security alert")
            _ = try await RecoveryAPITests.message(api, to: "moved@example.com", subject: "security alert")
            clock.advance(by: 601)
            let again = try await api.call(.post, "/api/v1/account/email/\(flowId)/verify",
                                           json: ["newCode": newCode, "oldCode": oldCode], token: token)
            #expect(again.code == "flow.completed")
        }
    }
}

@Suite struct GuessAccountingTests {
    @Test func refusalsThatAreNotWrongGuessesNeverUseUpTheLockoutAllowance() async throws {
        try await withKeyward(try await LockoutTests.config(.sqlite)) { api, _ in
            _ = try await api.registerAndVerify("careful@example.com")
            let token = try await api.signedInToken("careful@example.com")
            for _ in 1...6 {
                let same = try await api.call(.put, "/api/v1/account/password",
                                              json: ["currentPassword": "Tr4velling-Lynx", "newPassword": "Tr4velling-Lynx"], token: token)
                #expect(same.code == "password.reused")
            }
            let flowId = try #require(try await api.login("careful@example.com")["flowId"] as? String)
            for _ in 1...6 {
                let early = try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "email_code", "code": "123456"])
                #expect(early.code == "second_factor.code_not_sent")
            }
            #expect(try await api.signIn("careful@example.com")["status"] as? String == "authenticated")
        }
    }

    @Test func aChangeRightAfterReauthenticatingByTheSameAddressSendsItsCodeOnceTheIntervalAllows() async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(.sqlite), clock: clock) { api, _ in
            let (_, token) = try await api.registerAndVerify("soon@example.com")
            clock.advance(by: 400)
            #expect(try await api.reauthenticate(token: token, destination: "soon@example.com").status == 200)
            let known = try await api.knownCodes(to: "soon@example.com")
            let start = try await api.call(.post, "/api/v1/account/email", json: ["email": "later@example.com"], token: token)
            #expect(start.status == 202)
            let flowId = try #require(start["flowId"] as? String)
            let newCode = try await api.newestCode(for: "later@example.com")
            let early = try await api.call(.post, "/api/v1/account/email/\(flowId)/verify",
                                           json: ["newCode": newCode, "oldCode": "123456"], token: token)
            #expect(early.code == "second_factor.code_not_sent")
            let tooSoon = try await api.call(.post, "/api/v1/account/email/\(flowId)/resend", token: token)
            #expect(tooSoon.code == "code.resend_too_soon")
            clock.advance(by: TimeInterval(tooSoon["retryAfter"] as? Int ?? 60))
            #expect(try await api.call(.post, "/api/v1/account/email/\(flowId)/resend", token: token).status == 202)
            let oldCode = try await api.newestCode(for: "soon@example.com", excluding: known)
            let resentNew = try await api.newestCode(for: "later@example.com", after: newCode)
            let missing = try await api.call(.post, "/api/v1/account/email/\(flowId)/verify", json: ["oldCode": oldCode], token: token)
            #expect(missing.code == "request.invalid_field")
            let changed = try await api.call(.post, "/api/v1/account/email/\(flowId)/verify",
                                             json: ["newCode": resentNew, "oldCode": oldCode], token: token)
            #expect(changed["email"] as? String == "later@example.com")
        }
    }
}
