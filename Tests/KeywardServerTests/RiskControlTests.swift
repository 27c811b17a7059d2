import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// Risk control at the password step, through the real application behind a trusted proxy on both
/// databases: credential stuffing from one network, and one account used from too many countries in
/// an hour, each restricting the account whose right password arrived, and recorded for support.
@Suite struct RiskControlTests {
    static func config(_ kind: SQLDialectKind, _ settings: [String: String] = [:]) async throws -> KeywardConfig {
        var config = try await NewSignInAlertTests.config(kind, settings)
        config.operatorAPIKeys = [RestrictionTests.operatorKey]
        return config
    }

    static func from(_ ip: String, country: String? = nil) -> HTTPFields {
        NewSignInAlertTests.from(ip, country: country)
    }

    /// The newest risk evaluations support's diagnosis shows for `identifier`, and its findings' codes.
    static func diagnosis(_ api: TestAPI, _ identifier: String) async throws -> (evaluations: [[String: Any]], findings: [String]) {
        let reply = try await api.call(.post, "/api/v1/admin/sign-in-diagnosis", json: ["identifier": identifier],
                                       headers: RestrictionTests.asOperator)
        let evaluations = try #require(reply["riskEvaluations"] as? [[String: Any]])
        let findings = try #require(reply["findings"] as? [[String: Any]]).compactMap { $0["code"] as? String }
        return (evaluations, findings)
    }

    @Test(arguments: TestDatabases.kinds)
    func aRightPasswordAmongTwoHundredIdentifiersFromOneNetworkRestrictsItsAccount(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind), clock: TestClock()) { api, _ in
            let (_, victimSession) = try await api.registerAndVerify("victim@example.com")
            _ = try await api.registerAndVerify("colleague@example.com")
            // A colleague's browser signed in from the office network before the attack came from it.
            let office = Self.from("198.51.100.7")
            #expect(try await api.signIn("colleague@example.com", deviceId: "colleague-browser-01", headers: office).status == 200)

            // 199 identifiers fail from addresses across one /24: no account, or the wrong password.
            for index in 0..<199 {
                let identifier = index == 42 ? "victim@example.com" : "user\(index)@example.com"
                let reply = try await api.login(identifier, "Guess-Passw0rd-\(index)", headers: Self.from("198.51.100.\(index % 250 + 1)"))
                #expect(reply.status == 401 || reply.status == 404, "attempt \(index): \(reply.status) \(reply.text)")
            }
            // The colleague's known browser still signs in from the shared network.
            let colleague = try await api.login("colleague@example.com", deviceId: "colleague-browser-01", headers: office)
            #expect(colleague.status == 200 && colleague["status"] as? String == "second_factor_required")

            // The 200th identifier is the victim's, with the right password: restricted, nobody signed in.
            let hit = try await api.login("victim@example.com", headers: Self.from("198.51.100.250"))
            #expect(hit.status == 403 && hit.code == "account.restricted" && hit["reason"] as? String == "risk.credential_stuffing")
            #expect(hit["flowId"] == nil && hit["session"] == nil)
            #expect(try await api.call(.get, "/api/v1/session", token: victimSession).code == "session.required")
            let notice = try #require(try await api.message(to: "victim@example.com", subject: "was restricted"))
            #expect((notice["body"] as? String)?.contains("support request about a restricted account") == true)
            // Support sees the decision and what it was made from.
            let (evaluations, findings) = try await Self.diagnosis(api, "victim@example.com")
            let latest = try #require(evaluations.first)
            #expect(latest["decision"] as? String == "restrict" && latest["reason"] as? String == "risk.credential_stuffing")
            #expect(latest["enforced"] as? Bool == true && latest["network"] as? String == "198.51.100.0/24")
            let signals = try #require(latest["signals"] as? [String: Any])
            #expect((signals["identifiersFailingFromNetwork"] as? Int ?? 0) >= 199)
            #expect(findings.contains("account.restricted"))
            // A wrong password from anywhere still learns nothing.
            #expect(try await api.login("victim@example.com", "Wrong-Passw0rd", headers: Self.from("192.0.2.9")).code
                    == "credentials.invalid")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aFourthCountryWithinAnHourRestrictsTheAccount(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await Self.config(kind), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("traveller@example.com")
            for (ip, country) in [("198.51.100.5", "GB"), ("203.0.113.5", "FR"), ("192.0.2.5", "DE")] {
                clock.advance(by: 600)
                let reply = try await api.login("traveller@example.com", headers: Self.from(ip, country: country))
                #expect(reply.status == 200, "\(country): \(reply.text)")
            }
            clock.advance(by: 600)
            let fourth = try await api.login("traveller@example.com", headers: Self.from("198.18.0.5", country: "US"))
            #expect(fourth.status == 403 && fourth.code == "account.restricted" && fourth["reason"] as? String == "risk.location_velocity")
            let (evaluations, _) = try await Self.diagnosis(api, "traveller@example.com")
            // Each new country asked for the new device to be approved; the code to the inbox that
            // signed in was approval enough.
            #expect(evaluations.map { $0["decision"] as? String } == ["restrict", "approve_device", "approve_device", "approve_device"])
            #expect((evaluations.first?["signals"] as? [String: Any])?["countriesInWindow"] as? Int == 4)
        }
    }

    @Test func countriesOlderThanTheWindowDoNotCountAndRiskControlOffOnlyRecords() async throws {
        let clock = TestClock()
        try await withKeyward(try await Self.config(.sqlite, ["risk.enabled": "false"]), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("nomad@example.com")
            for (ip, country) in [("198.51.100.5", "GB"), ("203.0.113.5", "FR"), ("192.0.2.5", "DE"), ("198.18.0.5", "US")] {
                clock.advance(by: 60)
                #expect(try await api.login("nomad@example.com", headers: Self.from(ip, country: country)).status == 200)
            }
            let (evaluations, findings) = try await Self.diagnosis(api, "nomad@example.com")
            #expect(evaluations.first?["decision"] as? String == "restrict" && evaluations.first?["enforced"] as? Bool == false)
            #expect(findings.contains("risk.not_enforced") && !findings.contains("account.restricted"))
        }
        try await withKeyward(try await Self.config(.sqlite), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("nomad@example.com")
            for (ip, country) in [("198.51.100.5", "GB"), ("203.0.113.5", "FR"), ("192.0.2.5", "DE")] {
                #expect(try await api.login("nomad@example.com", headers: Self.from(ip, country: country)).status == 200)
            }
            clock.advance(by: 3601)
            for (ip, country) in [("198.18.0.5", "US"), ("198.51.100.9", "GB"), ("203.0.113.9", "FR")] {
                #expect(try await api.login("nomad@example.com", headers: Self.from(ip, country: country)).status == 200)
            }
        }
    }
}
