import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// Support asks why someone cannot sign in and gets the account's obstacles, most pressing first,
/// with the particulars behind them; the owner sees that support looked.
@Suite struct SignInDiagnosisTests {
    static let operatorKey = "operator-key-for-tests-0123456789"

    static func config(_ kind: SQLDialectKind) async throws -> KeywardConfig {
        var config = try await LockoutTests.config(kind)
        config.operatorAPIKeys = [operatorKey]
        return config
    }

    static func diagnose(_ api: TestAPI, _ identifier: String, key: String = operatorKey) async throws -> Reply {
        try await api.call(.post, "/api/v1/admin/sign-in-diagnosis", json: ["identifier": identifier],
                           headers: [.authorization: "Bearer \(key)"])
    }

    static func findings(_ reply: Reply) -> [String] {
        (reply["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    @Test(arguments: TestDatabases.kinds)
    func aLockAndTheFailuresBeforeItAreFoundAndTheOwnerSeesTheLookup(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await Self.config(kind), clock: clock) { api, _ in
            let (accountId, token) = try await api.registerAndVerify("stuck@example.com")
            #expect(Self.findings(try await Self.diagnose(api, "stuck@example.com")) == [])

            for _ in 1...3 { _ = try await api.login("stuck@example.com", "Wrong-Passw0rd") }
            let counting = try await Self.diagnose(api, "Stuck@Example.com")
            #expect(counting.status == 200)
            #expect(counting["accountId"] as? String == accountId && counting["account"] as? String == "active")
            #expect(Self.findings(counting) == ["failures.recent"])
            let counter = try #require((counting["counters"] as? [[String: Any]])?.first)
            #expect(counter["failedCount"] as? Int == 3 && counter["scope"] as? String == "account")

            for _ in 1...2 { _ = try await api.login("stuck@example.com", "Wrong-Passw0rd") }
            let locked = try await Self.diagnose(api, "stuck@example.com")
            #expect(Self.findings(locked).first == "account.locked")
            let finding = try #require((locked["findings"] as? [[String: Any]])?.first)
            #expect(finding["at"] as? String == ISO8601.string(clock.now().addingTimeInterval(7200)))
            #expect((finding["detail"] as? String)?.contains("reset the password") == true)
            #expect((locked["events"] as? [[String: Any]])?.contains { $0["kind"] as? String == "lock.placed" } == true)
            let sent = (locked["messages"] as? [[String: Any]] ?? []).compactMap { $0["subject"] as? String }
            #expect(sent.contains { $0.contains("locked") })

            let activity = try await api.call(.get, "/api/v1/account/activity", token: token)
            #expect((activity["events"] as? [[String: Any]])?.filter { $0["kind"] as? String == "support.diagnosed" }.count == 3)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func supportSeesTheFlowsThePersonIsInTheMiddleOf(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind), clock: TestClock()) { api, _ in
            let (_, token) = try await api.registerAndVerify("midway@example.com")
            _ = try await api.reauthenticate(token: token, destination: "midway@example.com")
            #expect(try await api.call(.post, "/api/v1/account/totp", token: token).status == 201)
            api.clock.advance(by: 1)
            let login = try await api.login("midway@example.com")
            let loginId = try #require(login["flowId"] as? String)
            let flows = try #require(try await Self.diagnose(api, "midway@example.com")["openFlows"] as? [[String: Any]])
            let open = flows.map { "\($0["kind"] as? String ?? "")/\($0["state"] as? String ?? "")" }
            #expect(open == ["login/second_factor_required", "authenticator_enrolment/waiting_for_code"],
                    "the finished registration and re-authentication are not listed")
            #expect(flows.first?["flowId"] as? String == loginId)

            api.clock.advance(by: 3600)
            #expect((try await Self.diagnose(api, "midway@example.com")["openFlows"] as? [Any])?.isEmpty == true,
                    "expired flows are over")
        }
    }

    @Test func unknownAndUnfinishedIdentifiersAreFindingsWhileBadRequestsAreRefused() async throws {
        try await withKeyward(try await Self.config(.sqlite)) { api, _ in
            let nobody = try await Self.diagnose(api, "nobody@example.com")
            #expect(nobody.status == 200 && nobody["account"] as? String == "none" && nobody["accountId"] == nil)
            #expect(Self.findings(nobody) == ["account.not_found"])

            _ = try await api.register("+447700900777")
            let unfinished = try await Self.diagnose(api, "+447700900777")
            #expect(unfinished["account"] as? String == "registration_incomplete")
            #expect(Self.findings(unfinished) == ["account.registration_incomplete"])

            #expect(try await Self.diagnose(api, "nobody@example.com", key: "wrong-key").code == "operator.unauthorized")
            let noKey = try await api.call(.post, "/api/v1/admin/sign-in-diagnosis", json: ["identifier": "a@example.com"])
            #expect(noKey.status == 401)
            #expect(try await Self.diagnose(api, "not an identifier").code == "identifier.invalid")
            let missing = try await api.call(.post, "/api/v1/admin/sign-in-diagnosis", json: [:],
                                             headers: [.authorization: "Bearer \(Self.operatorKey)"])
            #expect(missing.code == "request.invalid_field")
        }
    }
}
