import Foundation
import HTTPTypes
import HummingbirdBcrypt
import KeywardCore
import KeywardStorage
import KeywardServer
import KeywardTestSupport
import Testing

@Suite struct SignInAPITests {
    @Test func everySignInGetsANewTokenAndTheRightErrors() async throws {
        try await withKeyward { api, _ in
            _ = try await api.registerAndVerify("grace@example.com")
            let password = try await api.login("Grace@Example.com")
            #expect(password.status == 200)
            #expect(password["status"] as? String == "second_factor_required")
            #expect(password["methods"] as? [String] == ["email_code"])
            #expect((password["destinations"] as? [String: String])?["email_code"] == "g•••e@example.com")
            #expect(password["session"] == nil)
            let first = try await api.signIn("Grace@Example.com", deviceName: "Grace's phone", destination: "grace@example.com")
            let second = try await api.signIn("grace@example.com")
            #expect(first.status == 200)
            #expect(first["status"] as? String == "authenticated")
            let firstToken = try #require((first["session"] as? [String: Any])?["token"] as? String)
            let secondToken = try #require((second["session"] as? [String: Any])?["token"] as? String)
            #expect(firstToken != secondToken)
            #expect(try await api.call(.get, "/api/v1/session", token: firstToken).status == 200)

            let wrong = try await api.login("grace@example.com", "Wrong-Passw0rd")
            #expect(wrong.status == 401)
            #expect(wrong.code == "credentials.invalid")
            let unknown = try await api.login("nobody@example.com")
            #expect(unknown.status == 404)
            #expect(unknown.code == "account.not_found")
            #expect((unknown["detail"] as? String)?.contains("real site") == true)
            let invalid = try await api.login("not an identifier")
            #expect(invalid.code == "identifier.invalid")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func strictModeAnswersUnknownPendingAndWrongPasswordAlike(kind: SQLDialectKind) async throws {
        var config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try config.set("login.revealAccountExistence", to: "false")
        try await withKeyward(config) { api, _ in
            _ = try await api.registerAndVerify("heidi@example.com")
            _ = try await api.register("ivan@example.com")
            let replies = [
                try await api.login("heidi@example.com", "Wrong-Passw0rd"),
                try await api.login("nobody@example.com"),
                try await api.login("ivan@example.com"),
            ]
            for reply in replies {
                #expect(reply.status == 401)
                #expect(reply.text == replies[0].text)
                #expect(reply.headers[.contentType] == replies[0].headers[.contentType])
            }
            #expect(replies[0].code == "credentials.invalid")
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func sessionsAreListedRevokedOneByOneOrAllButThisOneAndEndedBySignOut(kind: SQLDialectKind) async throws {
        let config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try await withKeyward(config) { api, _ in
            let (_, token) = try await api.registerAndVerify("judy@example.com")
            let laptop = try #require((try await api.signIn("judy@example.com", deviceName: "Laptop")["session"] as? [String: Any]))
            let tablet = try #require((try await api.signIn("judy@example.com", deviceName: "Tablet")["session"] as? [String: Any]))
            let list = try await api.call(.get, "/api/v1/sessions", token: token)
            let sessions = try #require(list["sessions"] as? [[String: Any]])
            #expect(sessions.count == 3)
            #expect(sessions.filter { $0["current"] as? Bool == true }.count == 1)
            #expect(sessions.compactMap { $0["deviceName"] as? String }.sorted() == ["Laptop", "Tablet"])
            #expect(sessions.allSatisfy { ($0["ip"] as? String)?.isEmpty == false })

            let laptopId = try #require(laptop["id"] as? String)
            #expect(try await api.call(.delete, "/api/v1/sessions/\(laptopId)", token: token).status == 204)
            #expect(try await api.call(.get, "/api/v1/session", token: laptop["token"] as? String).code == "session.required")
            #expect(try await api.call(.delete, "/api/v1/sessions/\(laptopId)", token: token).code == "session.not_found")

            let others = try await api.call(.delete, "/api/v1/sessions", token: token)
            #expect(others["revoked"] as? Int == 1)
            #expect(try await api.call(.get, "/api/v1/session", token: tablet["token"] as? String).status == 401)
            #expect(try await api.call(.get, "/api/v1/session", token: token).status == 200)

            #expect(try await api.call(.post, "/api/v1/logout", token: token).status == 204)
            let after = try await api.call(.get, "/api/v1/session", token: token)
            #expect(after.status == 401)
            #expect(after.code == "session.required")
            #expect(try await api.call(.get, "/api/v1/sessions").code == "session.required")
        }
    }

    @Test func aSessionEndsAfterItsIdleTimeoutAndItsAbsoluteLifetime() async throws {
        let clock = TestClock()
        try await withKeyward(clock: clock) { api, _ in
            let (_, idle) = try await api.registerAndVerify("ken@example.com")
            let busy = try await api.signedInToken("ken@example.com")
            clock.advance(by: 23 * 3600)
            #expect(try await api.call(.get, "/api/v1/session", token: busy).status == 200)
            clock.advance(by: 3600)
            #expect(try await api.call(.get, "/api/v1/session", token: idle).status == 401)
            #expect(try await api.call(.get, "/api/v1/session", token: busy).status == 200)
            for _ in 0..<31 {
                clock.advance(by: 23 * 3600)
                _ = try await api.call(.get, "/api/v1/session", token: busy)
            }
            #expect(try await api.call(.get, "/api/v1/session", token: busy).status == 401)
        }
    }

    @Test func anImportedBcryptHashSignsInAndIsReplacedByArgon2id() async throws {
        try await withKeyward { api, services in
            let (accountId, _) = try await api.registerAndVerify("leo@example.com")
            try await services.database.stores.accounts.updatePasswordHash(
                accountId: accountId, passwordHash: Bcrypt.hash("Imported-Passw0rd", cost: 4))
            #expect(try await api.login("leo@example.com", "Wrong-Passw0rd").status == 401)
            #expect(try await services.database.stores.accounts.find(id: accountId)?.passwordHash?.hasPrefix("$2b$") == true)
            #expect(try await api.login("leo@example.com", "Imported-Passw0rd").status == 200)
            let rehashed = try await services.database.stores.accounts.find(id: accountId)?.passwordHash
            #expect(rehashed?.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$") == true)
            #expect(try await api.login("leo@example.com", "Imported-Passw0rd").status == 200)
        }
    }

    @Test func changedArgon2ParametersRehashOnTheNextGoodSignIn() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-rehash-\(UUID().uuidString).sqlite").path
        var config = KeywardConfig.testing(databaseURL: "sqlite://" + file)
        let accountId = try await withKeyward(config) { api, _ in
            try await api.registerAndVerify("mia@example.com").accountId
        }
        try config.set("password.argon2.memoryKiB", to: "2048")
        try config.set("password.argon2.iterations", to: "2")
        try await withKeyward(config) { (api: TestAPI, services: KeywardServices) async throws in
            #expect(try await services.database.stores.accounts.find(id: accountId)?.passwordHash?.contains("m=1024,t=1") == true)
            #expect(try await api.login("mia@example.com").status == 200)
            #expect(try await services.database.stores.accounts.find(id: accountId)?.passwordHash?.contains("$m=2048,t=2,p=1$") == true)
        }
    }

    @Test func reauthenticatingWithAnOutdatedHashReplacesItToo() async throws {
        try await withKeyward { api, services in
            let (accountId, token) = try await api.registerAndVerify("noor@example.com")
            try await services.database.stores.accounts.updatePasswordHash(
                accountId: accountId, passwordHash: Bcrypt.hash("Tr4velling-Lynx", cost: 4))
            let wrong = try await api.call(.post, "/api/v1/account/reauth", json: ["password": "Wrong-Passw0rd"], token: token)
            #expect(wrong.code == "password.incorrect")
            #expect(try await services.database.stores.accounts.find(id: accountId)?.passwordHash?.hasPrefix("$2b$") == true)
            let right = try await api.call(.post, "/api/v1/account/reauth", json: ["password": "Tr4velling-Lynx"], token: token)
            #expect(right.status == 200 && right["status"] as? String == "second_factor_required")
            #expect(try await services.database.stores.accounts.find(id: accountId)?.passwordHash?.hasPrefix("$argon2id$") == true)
        }
    }
}
