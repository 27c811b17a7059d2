import Foundation
import HTTPTypes
import KeywardCore
@testable import KeywardServer
import KeywardCrypto
import KeywardTestSupport
import Testing

@Suite struct SystemTests {
    @Test func healthAndReadinessAnswer() async throws {
        try await withKeyward { api, _ in
            let health = try await api.call(.get, "/healthz")
            let readiness = try await api.call(.get, "/readyz")
            #expect(health["status"] as? String == "ok")
            #expect(readiness["status"] as? String == "ready")
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await withKeyward { api, _ in
            for path in ["/login", "/register", "/api/v1/session", "/nowhere", "/healthz", "/static/keyward.css"] {
                let reply = try await api.call(.get, path)
                let csp = try #require(reply.headers[.contentSecurityPolicy], "no CSP on \(path)")
                #expect(csp.contains("frame-ancestors 'none'"))
                #expect(csp.contains("script-src 'self'"))
                #expect(!csp.contains("unsafe-inline"))
                #expect(reply.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(reply.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            }
        }
    }

    @Test func malformedOversizedAndMistypedBodiesGetCodesNotCrashes() async throws {
        try await withKeyward { api, _ in
            let malformed = try await api.call(.post, "/api/v1/login", body: "{not json")
            #expect(malformed.status == 400)
            #expect(malformed.code == "request.malformed")
            let mistyped = try await api.call(.post, "/api/v1/login", body: #"{"identifier": 42, "password": "x"}"#)
            #expect(mistyped.status == 400)
            #expect(mistyped.code == "request.invalid_field")
            #expect(mistyped["field"] as? String == "identifier")
            let missing = try await api.call(.post, "/api/v1/registrations", body: #"{"identifier": "a@example.com"}"#)
            #expect(missing.code == "request.invalid_field")
            #expect(missing["field"] as? String == "password")
            let huge = try await api.call(.post, "/api/v1/login", body: #"{"identifier":""# + String(repeating: "a", count: 70_000) + #""}"#)
            #expect(huge.status == 413)
            #expect(huge.code == "request.too_large")
            #expect(huge["limitBytes"] as? Int == 65536)
            let array = try await api.call(.post, "/api/v1/login", body: "[]")
            #expect(array.status == 400)
        }
    }

    @Test func unknownRoutesAreProblemsUnderTheAPIAndPagesElsewhere() async throws {
        try await withKeyward { api, _ in
            let apiMissing = try await api.call(.get, "/api/v1/nothing-here")
            #expect(apiMissing.status == 404)
            #expect(apiMissing.code == "route.not_found")
            #expect(apiMissing.headers[.contentType] == "application/problem+json")
            let page = try await api.call(.get, "/nothing-here")
            #expect(page.status == 404)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Page not found"))
        }
    }

    @Test func theOpenAPIDocumentIsServed() async throws {
        try await withKeyward { api, _ in
            let reply = try await api.call(.get, "/api/openapi.yaml")
            #expect(reply.status == 200)
            #expect(reply.text.hasPrefix("openapi: 3.1"))
        }
    }

    @Test func theClientAddressComesFromTrustedProxiesOnly() async throws {
        var trusting = KeywardConfig.testing()
        try trusting.set("server.trustedProxies", to: "127.0.0.0/8,::1")
        let forwarded: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "203.0.113.9, 127.0.0.1"]
        try await withKeyward(trusting) { api, _ in
            let (_, token) = try await api.registerAndVerify("nina@example.com")
            _ = try await api.call(.post, "/api/v1/login", json: ["identifier": "nina@example.com", "password": "Tr4velling-Lynx"],
                                   headers: forwarded)
            let events = try #require(try await api.call(.get, "/api/v1/account/activity", token: token)["events"] as? [[String: Any]])
            #expect(events.contains { $0["kind"] as? String == "second_factor.required" && $0["ip"] as? String == "203.0.113.9" })
        }
        try await withKeyward { api, _ in
            let (_, token) = try await api.registerAndVerify("oscar@example.com")
            _ = try await api.call(.post, "/api/v1/login", json: ["identifier": "oscar@example.com", "password": "Tr4velling-Lynx"],
                                   headers: forwarded)
            let events = try #require(try await api.call(.get, "/api/v1/account/activity", token: token)["events"] as? [[String: Any]])
            #expect(events.contains { $0["kind"] as? String == "second_factor.required" })
            #expect(!events.contains { $0["ip"] as? String == "203.0.113.9" })
            #expect(events.allSatisfy { ["127.0.0.1", "::1"].contains($0["ip"] as? String ?? "") })
        }
    }

    @Test func trustedProxyRangesMatchAddresses() throws {
        let v4 = try #require(IPRange("10.0.0.0/8"))
        #expect(v4.contains("10.200.3.4"))
        #expect(!v4.contains("11.0.0.1"))
        let v6 = try #require(IPRange("2001:db8::/32"))
        #expect(v6.contains("2001:db8:1::5"))
        #expect(!v6.contains("2001:db9::1"))
        #expect(!v6.contains("10.0.0.1"))
        #expect(IPRange("not-an-ip") == nil)
        #expect(IPRange("10.0.0.0/33") == nil)
    }

    @Test func productionModeRefusesTheDevelopmentMailboxAndGeneratedKeys() async throws {
        var config = KeywardConfig.testing()
        config.mode = .production
        #expect(productionRefusal(config: config, keysGenerated: false)?.contains("development mailbox") == true)
        config.developmentMailbox = false
        #expect(productionRefusal(config: config, keysGenerated: true)?.contains("KEYWARD_HMAC_KEY") == true)
        #expect(productionRefusal(config: config, keysGenerated: false) == nil)
        config.allowGeneratedKeysInProduction = true
        #expect(productionRefusal(config: config, keysGenerated: true) == nil)

        var generated = KeywardConfig.testing()
        generated.hmacKey = nil
        generated.sealingKey = nil
        generated.mode = .production
        generated.developmentMailbox = false
        await #expect(throws: StartupError.self) { _ = try await buildApplication(config: generated) }
    }

    @Test func generatedKeysLiveInAPrivateDataDirectoryAndAreReused() async throws {
        var config = KeywardConfig.testing()
        config.hmacKey = nil
        config.sealingKey = nil
        try prepareDataDirectory(config.dataDirectory)
        let first = try ServerKeys.load(config: config)
        let second = try ServerKeys.load(config: config)
        #expect(first.generated)
        #expect(first.hmac == second.hmac)
        let attributes = try FileManager.default.attributesOfItem(atPath: config.dataDirectory + "/keys.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: config.dataDirectory)
        #expect((directory[.posixPermissions] as? Int) == 0o700)
    }

    @Test func aFullHashingQueueAnswersServerBusyInsteadOfGrowing() async throws {
        let pool = PasswordHasherPool(threadCount: 1, queueLimit: 1,
                                      parameters: Argon2id.Parameters(memoryKiB: 8192, iterations: 3, parallelism: 1))
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do {
                        _ = try await pool.hash("Some-Passw0rd")
                        return "hashed"
                    } catch let error as KeywardError {
                        return error.code
                    } catch {
                        return "other"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        try await pool.shutdown()
        #expect(outcomes.contains("hashed"))
        #expect(outcomes.contains("server.busy"))
        #expect(!outcomes.contains("other"))
        #expect(KeywardError.serverBusy(retryAfter: 1).status == 503)
    }

    @Test func configurationRejectsBadValuesInOneLine() throws {
        var config = KeywardConfig()
        #expect(throws: ConfigKey.InvalidValue.self) { try config.set("server.port", to: "eighty") }
        #expect(throws: ConfigKey.InvalidValue.self) { try config.set("password.policy", to: "weak") }
        #expect(throws: ConfigKey.InvalidValue.self) { try config.set("no.such.key", to: "1") }
        #expect(throws: ConfigKey.InvalidValue.self) { try config.set("keys.hmac", to: "c2hvcnQ=") }
        try config.apply(environment: ["KEYWARD_PORT": "9090", "KEYWARD_PASSWORD_POLICY": "nist"])
        #expect(config.port == 9090)
        #expect(config.passwordPolicy == .nist)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kw-\(UUID().uuidString).json")
        try Data(#"{"server.port": 7000, "login.revealAccountExistence": false, "server.trustedProxies": ["10.0.0.0/8"]}"#.utf8).write(to: file)
        try config.apply(file: file.path)
        #expect(config.port == 7000)
        #expect(config.revealAccountExistence == false)
        #expect(config.trustedProxies == ["10.0.0.0/8"])
    }
}
