import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// Passkeys through the real application: registered from the settings behind re-authentication,
/// used for the second step and on their own, refused when copied, counted as guesses.
@Suite struct PasskeyTests {
    static let origin = "https://exchange.example"

    static func config(_ kind: SQLDialectKind, _ settings: [String: String] = [:]) async throws -> KeywardConfig {
        try await NewSignInAlertTests.config(kind, ["server.publicURL": origin].merging(settings) { $1 })
    }

    /// Registers a passkey made by `authenticator` to the account of `token` (re-authenticating first).
    static func addPasskey(_ api: TestAPI, token: String, destination: String, authenticator: TestPasskeyAuthenticator,
                           name: String = "Laptop") async throws -> Reply {
        _ = try await api.reauthenticate(token: token, destination: destination)
        let options = try await api.call(.post, "/api/v1/account/passkeys/options", token: token)
        guard options.status == 200, let publicKey = options["publicKey"] as? [String: Any] else {
            throw TestFailure("options failed: \(options.status) \(options.text)")
        }
        return try await api.call(.post, "/api/v1/account/passkeys",
                                  json: ["credential": try authenticator.create(publicKey), "name": name], token: token)
    }

    /// A passwordless sign-in with `authenticator`, from `headers`.
    static func passkeySignIn(_ api: TestAPI, _ authenticator: TestPasskeyAuthenticator, headers: HTTPFields = [:],
                              tampering: TestPasskeyAuthenticator.Tampering = .init()) async throws -> Reply {
        let options = try await api.call(.post, "/api/v1/login/passkey/options", headers: headers)
        let flowId = try #require(options["flowId"] as? String)
        let publicKey = try #require(options["publicKey"] as? [String: Any])
        #expect(publicKey["userVerification"] as? String == "required")
        return try await api.call(.post, "/api/v1/login/passkey",
                                  json: ["flowId": flowId, "credential": try authenticator.get(publicKey, tampering: tampering)],
                                  headers: headers)
    }

    static func activity(_ api: TestAPI, token: String) async throws -> [String] {
        let activity = try await api.call(.get, "/api/v1/account/activity", token: token)
        return try #require(activity["events"] as? [[String: Any]]).compactMap { $0["kind"] as? String }
    }

    @Test(arguments: TestDatabases.kinds)
    func aPasskeyAddedBehindReauthenticationSignsInAloneAndANewPlaceIsStillAlerted(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind), clock: TestClock()) { api, services in
            let (_, token) = try await api.registerAndVerify("owner@example.com")
            let options = try await api.call(.post, "/api/v1/account/passkeys/options", token: token)
            #expect(options.code == "reauth.required")
            let authenticator = TestPasskeyAuthenticator(.edDSA, origin: Self.origin)
            let added = try await Self.addPasskey(api, token: token, destination: "owner@example.com", authenticator: authenticator)
            #expect(added.status == 201 && added["name"] as? String == "Laptop" && added["algorithm"] as? Int == -8)
            let security = try await api.call(.get, "/api/v1/account/security", token: token)
            #expect((security["boundMethods"] as? [String])?.contains("passkey") == true)

            let signedIn = try await Self.passkeySignIn(api, authenticator, headers: NewSignInAlertTests.from("203.0.113.9"))
            #expect(signedIn.status == 200 && signedIn["status"] as? String == "authenticated")
            let alerts = try await NewSignInAlertTests.alerts(api, services, to: "owner@example.com")
            #expect(alerts.count == 1, "a passkey sign-in from a new network is announced like any other")
            #expect(try await api.messages(to: "owner@example.com").contains {
                ($0["body"] as? String)?.contains("A passkey was added to your account") == true
            })
            let newToken = try #require((signedIn["session"] as? [String: Any])?["token"] as? String)
            #expect(try await Self.activity(api, token: newToken).contains("passkey.added"))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func thePasskeyIsTheSecondStepAndACopiedOneIsRefusedAndAudited(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind), clock: TestClock()) { api, _ in
            let (_, token) = try await api.registerAndVerify("second@example.com")
            let authenticator = TestPasskeyAuthenticator(origin: Self.origin)
            #expect(try await Self.addPasskey(api, token: token, destination: "second@example.com",
                                              authenticator: authenticator).status == 201)
            let login = try await api.login("second@example.com")
            #expect(login["methods"] as? [String] == ["passkey"])
            let flowId = try #require(login["flowId"] as? String)
            let request = try #require(login["passkey"] as? [String: Any])
            #expect((request["allowCredentials"] as? [[String: Any]])?.count == 1)
            authenticator.signCount = 10
            let verified = try await api.call(.post, "/api/v1/login/\(flowId)/verify",
                                              json: ["method": "passkey", "credential": try authenticator.get(request)])
            #expect(verified.status == 200)
            let freshToken = try #require((verified["session"] as? [String: Any])?["token"] as? String)

            // A copy whose counter lags behind the original's.
            authenticator.signCount = 4
            let copied = try await Self.passkeySignIn(api, authenticator)
            #expect(copied.status == 422 && copied.code == "passkey.sign_count_regressed")
            #expect(try await Self.activity(api, token: freshToken).contains("passkey.clone_suspected"))

            let missing = try await api.call(.post, "/api/v1/login/\(flowId)/verify", json: ["method": "passkey"])
            #expect(missing.code == "request.invalid_field" && missing["field"] as? String == "credential")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func wrongPasskeyAnswersCountTowardTheLock(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind, ["lockout.maxFailures": "3"]), clock: TestClock()) { api, _ in
            let (_, token) = try await api.registerAndVerify("guess@example.com")
            let authenticator = TestPasskeyAuthenticator(origin: Self.origin)
            #expect(try await Self.addPasskey(api, token: token, destination: "guess@example.com",
                                              authenticator: authenticator).status == 201)
            var forged = TestPasskeyAuthenticator.Tampering()
            forged.signatureFlipped = true
            var wrongSite = TestPasskeyAuthenticator.Tampering()
            wrongSite.origin = "https://exchange-example.phish"
            #expect(try await Self.passkeySignIn(api, authenticator, tampering: forged).code == "passkey.signature_invalid")
            #expect(try await Self.passkeySignIn(api, authenticator, tampering: wrongSite).code == "passkey.origin_mismatch")
            #expect(try await Self.passkeySignIn(api, authenticator, tampering: forged).code == "account.locked")
            #expect(try await Self.passkeySignIn(api, authenticator).code == "account.locked")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func passkeysAreRenamedAndRemovedOnlyByTheirOwner(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind), clock: TestClock()) { api, _ in
            let (_, owner) = try await api.registerAndVerify("keys@example.com")
            let (_, other) = try await api.registerAndVerify("other@example.com")
            let added = try await Self.addPasskey(api, token: owner, destination: "keys@example.com",
                                                  authenticator: TestPasskeyAuthenticator(origin: Self.origin))
            let id = try #require(added["id"] as? String)
            #expect(try await api.call(.patch, "/api/v1/account/passkeys/\(id)", json: ["name": "Stolen"], token: other).status == 404)
            #expect(try await api.call(.patch, "/api/v1/account/passkeys/\(id)", json: ["name": " "], token: owner).code
                    == "passkey.name_invalid")
            let renamed = try await api.call(.patch, "/api/v1/account/passkeys/\(id)", json: ["name": "Phone"], token: owner)
            #expect(renamed["name"] as? String == "Phone")
            _ = try await api.reauthenticate(token: other, destination: "other@example.com")
            #expect(try await api.call(.delete, "/api/v1/account/passkeys/\(id)", token: other).code == "passkey.not_found")
            #expect(try await api.call(.delete, "/api/v1/account/passkeys/\(id)", token: owner).status == 204)
            let list = try await api.call(.get, "/api/v1/account/passkeys", token: owner)
            #expect((list["passkeys"] as? [Any])?.isEmpty == true)
            #expect(try await api.login("keys@example.com")["methods"] as? [String] == ["email_code"])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func recoveryAsksForThePasskeyOrACodeToTheOtherChannelNeverNothing(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind), clock: TestClock()) { api, _ in
            let (_, token) = try await api.registerAndVerify("lost@example.com")
            let authenticator = TestPasskeyAuthenticator(origin: Self.origin)
            #expect(try await Self.addPasskey(api, token: token, destination: "lost@example.com",
                                              authenticator: authenticator).status == 201)
            api.clock.advance(by: 61)  // past the resend interval of the re-authentication's code
            let known = try await api.knownCodes(to: "lost@example.com")
            let started = try await api.call(.post, "/api/v1/recovery", json: ["identifier": "lost@example.com"])
            let flowId = try #require(started["flowId"] as? String)
            let code = try await api.newestCode(for: "lost@example.com", excluding: known)
            let verified = try await api.call(.post, "/api/v1/recovery/\(flowId)/verify", json: ["code": code])
            #expect(verified["status"] as? String == "second_factor_required")
            #expect(verified["methods"] as? [String] == ["passkey"], "the email that got the code cannot be its own second factor")
            let request = try #require(verified["passkey"] as? [String: Any])
            let answered = try await api.call(.post, "/api/v1/recovery/\(flowId)/second-factor",
                                              json: ["method": "passkey", "credential": try authenticator.get(request)])
            #expect(answered["status"] as? String == "verified")
        }
    }
}
