import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

@Suite struct RecoveryAPITests {
    /// The newest message to `destination` whose subject contains `subject` (and whose body
    /// contains `body`, when given), waiting for the outbox to deliver it.
    static func message(_ api: TestAPI, to destination: String, subject: String,
                        body: String? = nil) async throws -> [String: Any] {
        if let found = try await api.message(to: destination, subject: subject, body: body) { return found }
        throw TestFailure("no message about \(subject) reached \(destination)")
    }

    @Test(arguments: TestDatabases.kinds)
    func aForgottenPasswordIsResetByEmailAndTheAccountIsSecured(kind: SQLDialectKind) async throws {
        var config = try await LockoutTests.config(kind)
        config.operatorAPIKeys = ["operator-key-for-tests-0123456789"]
        let clock = TestClock()
        try await withKeyward(config, clock: clock) { api, _ in
            let (accountId, token) = try await api.registerAndVerify("rita@example.com")
            let other = try await api.signedInToken("rita@example.com")
            for _ in 1...5 { _ = try await api.login("rita@example.com", "Wrong-Passw0rd") }
            #expect(try await api.login("rita@example.com").code == "account.locked")
            clock.advance(by: 60)

            let started = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "RITA@example.com"])
            #expect(started.status == 202)
            #expect(started["channel"] as? String == "email")
            let flowId = try #require(started["flowId"] as? String)
            let codeMessage = try await Self.message(api, to: "rita@example.com", subject: "reset code")
            let code = try #require(codeMessage["code"] as? String)

            let early = try await api.call(.post, "/api/v1/recovery/\(flowId)/password", json: ["newPassword": "Brand-New-Passw0rd"])
            #expect(early.code == "recovery.not_verified")
            let verified = try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": code])
            #expect(verified.status == 200)
            #expect(verified["status"] as? String == "verified")
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": code]).code == "recovery.already_verified")

            let same = try await api.call(.post, "/api/v1/recovery/\(flowId)/password", json: ["newPassword": "Tr4velling-Lynx"])
            #expect(same.code == "password.reused")
            let weak = try await api.call(.post, "/api/v1/recovery/\(flowId)/password", json: ["newPassword": "short"])
            #expect(weak.code == "password.invalid")
            let done = try await api.call(.post, "/api/v1/recovery/\(flowId)/password", json: ["newPassword": "Brand-New-Passw0rd"])
            #expect(done.status == 200)
            #expect(done["sessionsRevoked"] as? Int == 2)
            let holds = try #require(done["holds"] as? [[String: Any]])
            #expect(holds.first?["kind"] as? String == "withdrawal")
            #expect(holds.first?["until"] as? String == ISO8601.string(clock.now().addingTimeInterval(86400)))
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/password", json: ["newPassword": "Another-Passw0rd"]).code == "recovery.completed")

            #expect(try await api.call(.get, "/api/v1/session", token: token).status == 401)
            #expect(try await api.call(.get, "/api/v1/session", token: other).status == 401)
            #expect(try await api.login("rita@example.com").code == "credentials.invalid")
            let fresh = try await api.signIn("rita@example.com", "Brand-New-Passw0rd")
            #expect(fresh.status == 200)
            let freshToken = try #require((fresh["session"] as? [String: Any])?["token"] as? String)

            let notice = try await Self.message(api, to: "rita@example.com", subject: "password was changed")
            #expect((notice["body"] as? String)?.contains("Withdrawals are paused") == true)

            let mine = try await api.call(.get, "/api/v1/account/holds", token: freshToken)
            #expect((mine["holds"] as? [[String: Any]])?.first?["reason"] as? String == "password.reset")
            let operatorView = try await api.call(.get, "/api/v1/admin/accounts/\(accountId)/holds",
                                                  headers: [.authorization: "Bearer operator-key-for-tests-0123456789"])
            #expect((operatorView["holds"] as? [[String: Any]])?.count == 1)
            let stranger = try await api.call(.get, "/api/v1/admin/accounts/\(accountId)/holds",
                                              headers: [.authorization: "Bearer guess"])
            #expect(stranger.status == 401)
            #expect(stranger.code == "operator.unauthorized")
            let activity = try await api.call(.get, "/api/v1/account/activity", token: freshToken)
            let kinds = try #require(activity["events"] as? [[String: Any]]).compactMap { $0["kind"] as? String }
            for expected in ["lock.placed", "lock.extended", "lock.lifted", "recovery.started", "recovery.finished",
                             "hold.placed", "code.sent", "login.failed", "login.succeeded"] {
                #expect(kinds.contains(expected), "activity lacks \(expected)")
            }

            clock.advance(by: 86400)
            let later = try await api.call(.get, "/api/v1/account/holds", token: try #require(
                (try await api.signIn("rita@example.com", "Brand-New-Passw0rd")["session"] as? [String: Any])?["token"] as? String))
            #expect((later["holds"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test func aPhoneNumberRecoversBySMS() async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(.sqlite), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("+447700900555", destination: "+447700900555")
            clock.advance(by: 60)
            let started = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "+44 7700 900555"])
            #expect(started["channel"] as? String == "sms")
            let flowId = try #require(started["flowId"] as? String)
            let sms = try await Self.message(api, to: "+447700900555", subject: "reset code")
            #expect(sms["channel"] as? String == "sms")
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": sms["code"] as? String ?? ""]).status == 200)
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/password", json: ["newPassword": "Phone-Reset-Passw0rd"]).status == 200)
            #expect(try await api.login("+447700900555", "Phone-Reset-Passw0rd").status == 200)
        }
    }

    @Test func unknownIdentifiersAreNamedOnlyWhenExistenceIsRevealed() async throws {
        try await withKeyward(try await LockoutTests.config(.sqlite)) { api, _ in
            let unknown = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "ghost@example.com"])
            #expect(unknown.status == 404)
            #expect(unknown.code == "account.not_found")
        }
        let strict = try await LockoutTests.config(.sqlite, ["login.revealAccountExistence": "false"])
        let clock = TestClock()
        try await withKeyward(strict, clock: clock) { api, _ in
            _ = try await api.registerAndVerify("real@example.com")
            clock.advance(by: 60)
            let real = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "real@example.com"])
            let ghost = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "ghost@example.com"])
            #expect(real.status == 202 && ghost.status == 202)
            #expect(Set(real.json.keys) == Set(ghost.json.keys))
            #expect(real["channel"] as? String == ghost["channel"] as? String)
            let ghostFlow = try #require(ghost["flowId"] as? String)
            let wrong = try await api.call(.post, "/api/v1/recovery/\(ghostFlow)/verify", json: ["code": "123456"])
            #expect(wrong.code == "code.invalid")
            #expect(wrong["attemptsRemaining"] as? Int == 4)
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await api.messages(to: "ghost@example.com").isEmpty)
        }
    }

    @Test func newCodesDoNotResetTheAccountsRecoveryFailures() async throws {
        let clock = TestClock()
        let config = try await LockoutTests.config(.sqlite, ["recovery.maxCodeFailures": "7"])
        try await withKeyward(config, clock: clock) { api, _ in
            _ = try await api.registerAndVerify("sam@example.com")
            clock.advance(by: 60)
            let flowId = try #require(try await api.call(.post, "/api/v1/recovery", json: ["identifier": "sam@example.com"])["flowId"] as? String)
            let first = try await Self.message(api, to: "sam@example.com", subject: "reset code")["code"] as? String
            let wrong = first == "000000" ? "111111" : "000000"
            for _ in 1...5 { _ = try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": wrong]) }
            clock.advance(by: 61)
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/resend").status == 202)
            #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": wrong]).code == "code.invalid")
            let seventh = try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": wrong])
            #expect(seventh.status == 423)
            #expect(seventh.code == "recovery.locked")
        }
    }

    @Test func aFinishedRecoveryEndsEveryOtherOpenRecovery() async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(.sqlite), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("tina@example.com")
            var flows: [String] = []
            var previous: String?
            for _ in 0..<2 {
                clock.advance(by: 60)
                let flowId = try #require(try await api.call(.post, "/api/v1/recovery", json: ["identifier": "tina@example.com"])["flowId"] as? String)
                var code = ""
                for _ in 0..<250 {
                    let latest = try await api.messages(to: "tina@example.com")
                        .first { ($0["subject"] as? String)?.contains("reset code") == true }?["code"] as? String
                    if let latest, latest != previous { code = latest; break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                previous = code
                #expect(try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": code]).status == 200)
                flows.append(flowId)
            }
            #expect(try await api.call(.post, "/api/v1/recovery/\(flows[1])/password", json: ["newPassword": "Owner-Lantern-11"]).status == 200)
            let stale = try await api.call(.post, "/api/v1/recovery/\(flows[0])/password", json: ["newPassword": "Attacker-Lantern-22"])
            #expect(stale.code == "recovery.expired")
            #expect(try await api.login("tina@example.com", "Owner-Lantern-11").status == 200)
        }
    }

    @Test func strictModePausesRecoveryForUnknownAndRealIdentifiersAlike() async throws {
        let clock = TestClock()
        let config = try await LockoutTests.config(.sqlite, ["login.revealAccountExistence": "false", "recovery.maxCodeFailures": "3"])
        try await withKeyward(config, clock: clock) { api, _ in
            _ = try await api.registerAndVerify("uma@example.com")
            clock.advance(by: 60)
            var answers: [[String]] = []
            for identifier in ["uma@example.com", "nobody-here@example.com"] {
                let flowId = try #require(try await api.call(.post, "/api/v1/recovery", json: ["identifier": identifier])["flowId"] as? String)
                var codes: [String] = []
                for _ in 0..<4 {
                    codes.append(try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": "000000"]).code ?? "")
                }
                codes.append(try await api.call(.post, "/api/v1/recovery", json: ["identifier": identifier]).code ?? "")
                answers.append(codes)
            }
            #expect(answers[0] == answers[1])
            #expect(answers[0] == ["code.invalid", "code.invalid", "recovery.locked", "recovery.locked", "recovery.locked"])
        }
    }
}
