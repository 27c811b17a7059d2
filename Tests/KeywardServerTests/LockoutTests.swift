import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

@Suite struct LockoutTests {
    /// A test configuration on `kind` with sign-in rate limits out of the way.
    static func config(_ kind: SQLDialectKind, _ settings: [String: String] = [:]) async throws -> KeywardConfig {
        var config = KeywardConfig.testing(databaseURL: try await TestDatabases.url(for: kind))
        try config.set("rateLimit.signInsPerIP", to: "10000/60")
        try config.set("rateLimit.signInsPerIdentifier", to: "10000/60")
        for (key, value) in settings { try config.set(key, to: value) }
        return config
    }

    @Test(arguments: TestDatabases.kinds)
    func theFifthWrongPasswordLocksAndTellsTheOwner(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await Self.config(kind), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("lock@example.com")
            for _ in 1...4 {
                #expect(try await api.login("lock@example.com", "Wrong-Passw0rd").code == "credentials.invalid")
            }
            let fifth = try await api.login("lock@example.com", "Wrong-Passw0rd")
            #expect(fifth.status == 423)
            #expect(fifth.code == "account.locked")
            #expect(fifth["lockedUntil"] as? String == ISO8601.string(clock.now().addingTimeInterval(7200)))
            #expect((fifth["detail"] as? String)?.contains("do not retry") == true)

            var notice: [String: Any]?
            for _ in 0..<250 where notice == nil {
                notice = try await api.messages(to: "lock@example.com").first { ($0["subject"] as? String)?.contains("locked") == true }
                if notice == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let body = try #require(notice?["body"] as? String)
            #expect(body.contains("5 failed sign-in attempts"))
            #expect(body.contains("127.0.0.1") || body.contains("::1"))

            clock.advance(by: 600)
            let duringLock = try await api.login("lock@example.com")
            #expect(duringLock.status == 423)
            #expect(duringLock["lockedUntil"] as? String == ISO8601.string(clock.now().addingTimeInterval(7200)))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theLockEndsByItselfAndASuccessResetsTheCount(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await Self.config(kind), clock: clock) { api, _ in
            _ = try await api.registerAndVerify("ends@example.com")
            for _ in 1...5 { _ = try await api.login("ends@example.com", "Wrong-Passw0rd") }
            clock.advance(by: 7199)
            #expect(try await api.login("ends@example.com").status == 423)
            clock.advance(by: 7200)
            #expect(try await api.signIn("ends@example.com").status == 200)
            for _ in 1...4 { _ = try await api.login("ends@example.com", "Wrong-Passw0rd") }
            #expect(try await api.signIn("ends@example.com").status == 200)
            for _ in 1...4 {
                #expect(try await api.login("ends@example.com", "Wrong-Passw0rd").code == "credentials.invalid")
            }
            clock.advance(by: 86401)
            #expect(try await api.login("ends@example.com", "Wrong-Passw0rd").code == "credentials.invalid")
            #expect(try await api.login("ends@example.com").status == 200)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func fiftyParallelWrongPasswordsCheckAtMostFiveAndLockOnce(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind)) { api, services in
            let (accountId, _) = try await api.registerAndVerify("swarm@example.com")
            let origin = RequestOrigin(ip: "198.51.100.1", userAgent: "swarm")
            let outcomes = await withTaskGroup(of: String.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        do {
                            _ = try await services.signIns.signIn(identifier: "swarm@example.com", password: "Wrong-Passw0rd", origin: origin)
                            return "signed-in"
                        } catch let error as KeywardError {
                            return error.code
                        } catch {
                            return "unexpected: \(String(reflecting: error))"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            let events = try await services.database.stores.audit.recent(accountId: accountId, limit: 500)
            let checked = events.filter { $0.kind == .loginFailed && $0.details["reason"] == "credentials.invalid" }
            #expect(checked.count == 5)
            #expect(events.filter { $0.kind == .lockPlaced }.count == 1)
            #expect(!outcomes.contains("signed-in"))
            #expect(outcomes.filter { $0.hasPrefix("unexpected") } == [])
            #expect(outcomes.filter { $0 == "credentials.invalid" }.count == 4)
            #expect(outcomes.contains("account.locked"))
        }
    }

    @Test func deviceScopeKeepsTheOwnersDeviceUsableWhileStrangersAreLockedOut() async throws {
        try await withKeyward(try await Self.config(.sqlite, ["lockout.scope": "device"])) { api, _ in
            _ = try await api.registerAndVerify("owner@example.com")
            let device = "owner-phone-0123456789abcdef"
            let first = try await api.signIn("owner@example.com", deviceId: device)
            #expect(first["status"] as? String == "authenticated")
            for _ in 1...5 { _ = try await api.login("owner@example.com", "Wrong-Passw0rd") }
            #expect(try await api.login("owner@example.com").code == "account.locked")
            let owner = try await api.call(.post, "/api/v1/login", json: [
                "identifier": "owner@example.com", "password": "Tr4velling-Lynx", "deviceId": device])
            #expect(owner.status == 200)
            let unknownDevice = try await api.call(.post, "/api/v1/login", json: [
                "identifier": "owner@example.com", "password": "Tr4velling-Lynx", "deviceId": "some-other-device-000000"])
            #expect(unknownDevice.code == "account.locked")
        }
    }

    @Test func strictModeAnswersALockLikeAWrongPasswordButStillTellsTheOwner() async throws {
        let config = try await Self.config(.sqlite, ["login.revealAccountExistence": "false", "login.strictFailureFloor": "0"])
        try await withKeyward(config) { api, _ in
            _ = try await api.registerAndVerify("quiet@example.com")
            for _ in 1...5 {
                #expect(try await api.login("quiet@example.com", "Wrong-Passw0rd").code == "credentials.invalid")
            }
            let locked = try await api.login("quiet@example.com")
            #expect(locked.status == 401)
            #expect(locked.code == "credentials.invalid")
            var subjects: [String] = []
            for _ in 0..<250 where !subjects.contains(where: { $0.contains("locked") }) {
                subjects = try await api.messages(to: "quiet@example.com").compactMap { $0["subject"] as? String }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(subjects.contains { $0.contains("locked") })
        }
    }
}
