import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// New-device approval: a sign-in from a device and a network new to the account passes its
/// password and authenticator, then waits for a "Was this you?" code sent to the account's email,
/// through the real application behind a trusted proxy on both databases.
@Suite struct DeviceApprovalTests {
    static let away = NewSignInAlertTests.from("203.0.113.9", country: "FR")

    /// An account with an authenticator app, registered and signed in from the default network;
    /// returns the authenticator's secret.
    static func authenticatorAccount(_ api: TestAPI, _ email: String) async throws -> String {
        _ = try await api.registerAndVerify(email)
        let token = try await api.signedInToken(email)
        return try await api.bindAuthenticator(token: token)
    }

    /// The password and authenticator steps from `headers` with `deviceId`; returns the verify reply.
    static func passBothSteps(_ api: TestAPI, _ email: String, secret: String, deviceId: String?,
                              headers: HTTPFields) async throws -> Reply {
        let challenge = try await api.login(email, deviceId: deviceId, headers: headers)
        let flowId = try #require(challenge["flowId"] as? String, "\(challenge.status) \(challenge.text)")
        let reply = try await api.call(.post, "/api/v1/login/\(flowId)/verify",
                                       json: ["method": "totp", "code": TestAPI.totp(secret, at: api.clock.now())],
                                       headers: headers)
        api.clock.advance(by: 30)
        return reply
    }

    @Test(arguments: TestDatabases.kinds)
    func aNewDeviceOnANewNetworkIsApprovedFromTheInboxOnce(kind: SQLDialectKind) async throws {
        try await withKeyward(try await RiskControlTests.config(kind), clock: TestClock()) { api, services in
            let secret = try await Self.authenticatorAccount(api, "wanderer@example.com")
            let waiting = try await Self.passBothSteps(api, "wanderer@example.com", secret: secret, deviceId: "laptop-in-paris-0001",
                                                      headers: Self.away)
            #expect(waiting.status == 200 && waiting["status"] as? String == "device_approval_required")
            #expect(waiting["channel"] as? String == "email" && waiting["destination"] as? String == "w•••r@example.com")
            #expect(waiting["session"] == nil)
            let flowId = try #require(waiting["flowId"] as? String)

            // The message says where the sign-in comes from, carries the code and the freeze link.
            let message = try #require(try await api.message(to: "wanderer@example.com", subject: "Was this you?"))
            let body = try #require(message["body"] as? String)
            #expect(body.contains("IP address: 203.0.113.9 (country: FR)") && body.contains("/freeze/"))
            let code = try await api.newestCode(for: "wanderer@example.com")
            #expect(body.contains(code))

            // The second step is spent; only the approval code goes on, and a wrong one counts.
            let again = try await api.call(.post, "/api/v1/login/\(flowId)/verify",
                                           json: ["method": "totp", "code": TestAPI.totp(secret, at: api.clock.now())])
            #expect(again.code == "device_approval.pending")
            let wrong = String(format: "%06d", (Int(code)! + 1) % 1_000_000)
            let refused = try await api.call(.post, "/api/v1/login/\(flowId)/approve-device", json: ["code": wrong],
                                             headers: Self.away)
            #expect(refused.code == "code.invalid")
            let approved = try await api.call(.post, "/api/v1/login/\(flowId)/approve-device", json: ["code": code],
                                              headers: Self.away)
            #expect(approved.status == 200 && approved["status"] as? String == "authenticated")
            let token = try #require((approved["session"] as? [String: Any])?["token"] as? String)
            #expect(try await api.call(.get, "/api/v1/session", token: token).status == 200)
            #expect(try await api.call(.post, "/api/v1/login/\(flowId)/approve-device", json: ["code": code]).code
                    == "flow.completed")

            // Approved from the inbox, so no new sign-in notice follows; the device is known from now on.
            #expect(try await NewSignInAlertTests.alerts(api, services, to: "wanderer@example.com").isEmpty)
            let known = try await Self.passBothSteps(api, "wanderer@example.com", secret: secret, deviceId: "laptop-in-paris-0001",
                                                    headers: Self.away)
            #expect(known["status"] as? String == "authenticated")
            let (evaluations, _) = try await RiskControlTests.diagnosis(api, "wanderer@example.com")
            #expect(evaluations.map { $0["decision"] as? String }.prefix(2) == ["allow", "approve_device"])
        }
    }

    @Test func aCodeToTheEmailIsApprovalEnoughAndTheSettingDecidesWhenToAsk() async throws {
        // A second factor that was a code to the email address proved the inbox already.
        try await withKeyward(try await RiskControlTests.config(.sqlite), clock: TestClock()) { api, _ in
            _ = try await api.registerAndVerify("inbox@example.com")
            let reply = try await api.signIn("inbox@example.com", deviceId: "new-phone-000000001", headers: Self.away)
            #expect(reply["status"] as? String == "authenticated")
        }
        // Off: never asked.
        try await withKeyward(try await RiskControlTests.config(.sqlite, ["risk.newDeviceApproval": "off"]),
                              clock: TestClock()) { api, _ in
            let secret = try await Self.authenticatorAccount(api, "off@example.com")
            let reply = try await Self.passBothSteps(api, "off@example.com", secret: secret, deviceId: nil, headers: Self.away)
            #expect(reply["status"] as? String == "authenticated")
        }
        // Always: a new device on the account's own network is asked too, a known one is not.
        try await withKeyward(try await RiskControlTests.config(.sqlite, ["risk.newDeviceApproval": "always"]),
                              clock: TestClock()) { api, _ in
            let secret = try await Self.authenticatorAccount(api, "always@example.com")
            let home = NewSignInAlertTests.from("198.51.100.20")
            let first = try await Self.passBothSteps(api, "always@example.com", secret: secret, deviceId: "desk-browser-0001", headers: home)
            #expect(first["status"] as? String == "device_approval_required")
            let flowId = try #require(first["flowId"] as? String)
            _ = try #require(try await api.message(to: "always@example.com", subject: "Was this you?"))
            let code = try await api.newestCode(for: "always@example.com")
            let approved = try await api.call(.post, "/api/v1/login/\(flowId)/approve-device", json: ["code": code])
            #expect(approved.status == 200, "\(approved.text)")
            let second = try await Self.passBothSteps(api, "always@example.com", secret: secret, deviceId: "desk-browser-0001", headers: home)
            #expect(second["status"] as? String == "authenticated")
        }
    }
}
