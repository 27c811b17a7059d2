import Foundation
import HTTPTypes
import HummingbirdTesting
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// "Can't sign in?" through the JSON API: only the holder of the identifier sees the findings,
/// which name each obstacle in the person's words, most pressing first, with the way out.
@Suite struct SignInHelpTests {
    /// Starts a help for `identifier` and enters the code it sent; returns the findings' replies.
    static func findings(_ api: TestAPI, _ identifier: String, headers: HTTPFields = [:]) async throws -> [[String: Any]] {
        let known = try await api.knownCodes(to: identifier)
        api.clock.advance(by: 61)  // past the resend interval since the last code to the address
        let started = try await api.call(.post, "/api/v1/help/sign-in", json: ["identifier": identifier], headers: headers)
        #expect(started.status == 202, "\(started.text)")
        let helpId = try #require(started["helpId"] as? String)
        let code = try await api.newestCode(for: identifier, excluding: known)
        let verified = try await api.call(.post, "/api/v1/help/sign-in/\(helpId)/verify", json: ["code": code])
        #expect(verified.status == 200, "\(verified.text)")
        // The look is finished: the same help shows nothing twice.
        let again = try await api.call(.post, "/api/v1/help/sign-in/\(helpId)/verify", json: ["code": code])
        #expect(again.status == 409 && again.code == "help.completed")
        return try #require(verified["findings"] as? [[String: Any]])
    }

    static func codes(_ findings: [[String: Any]]) -> [String] {
        findings.compactMap { $0["code"] as? String }
    }

    static func href(_ finding: [String: Any]?) -> String? {
        (finding?["action"] as? [String: Any])?["href"] as? String
    }

    @Test(arguments: TestDatabases.kinds)
    func aLockedAccountIsToldWhenTheLockEndsAndHowToLiftIt(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, services in
            let (accountId, _) = try await api.registerAndVerify("locked@example.com")
            let nothing = try await Self.findings(api, "locked@example.com")
            #expect(Self.codes(nothing) == ["nothing_found"])

            for _ in 1...3 { _ = try await api.login("locked@example.com", "Wrong-Passw0rd") }
            let counting = try await Self.findings(api, "locked@example.com")
            #expect(Self.codes(counting) == ["failures.recent"])
            #expect((counting[0]["detail"] as? String)?.hasPrefix("3 wrong passwords or codes since") == true)

            for _ in 1...2 { _ = try await api.login("locked@example.com", "Wrong-Passw0rd") }
            let locked = try await Self.findings(api, "locked@example.com")
            #expect(Self.codes(locked).first == "account.locked")
            let lock = locked[0]
            let until = try #require(try await services.database.stores.guesses.counters(accountId: accountId)
                .compactMap(\.lockedUntil).first)
            #expect(lock["at"] as? String == ISO8601.string(until))
            #expect((lock["detail"] as? String)?.contains("stop trying") == true)
            #expect(Self.href(lock)?.hasSuffix("/recover") == true)
            #expect((lock["action"] as? [String: Any])?["label"] as? String == "Reset your password")
            let events = try await services.database.stores.audit.recent(accountId: accountId, limit: 50)
            #expect(events.filter { $0.kind == .signInHelpViewed }.count == 3)
            #expect(!events.contains { $0.kind == .supportDiagnosed })
        }
    }

    @Test func onlyTheHolderOfTheIdentifierSeesAnythingAndStrictModeSaysNothingOfStrangers() async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(.sqlite), clock: clock) { api, _ in
            let missing = try await api.call(.post, "/api/v1/help/sign-in", json: ["identifier": "nobody@example.com"])
            #expect(missing.status == 404 && missing.code == "account.not_found")
            #expect((missing["detail"] as? String)?.contains("real site") == true)
            let invalid = try await api.call(.post, "/api/v1/help/sign-in", json: ["identifier": "not an address"])
            #expect(invalid.status == 422 && invalid.code == "identifier.invalid")

            _ = try await api.registerAndVerify("owner@example.com")
            clock.advance(by: 61)
            let started = try await api.call(.post, "/api/v1/help/sign-in", json: ["identifier": "owner@example.com"])
            let helpId = try #require(started["helpId"] as? String)
            let code = try await api.newestCode(for: "owner@example.com")
            let wrong = String(format: "%06d", (Int(code)! + 1) % 1_000_000)
            let refused = try await api.call(.post, "/api/v1/help/sign-in/\(helpId)/verify", json: ["code": wrong])
            #expect(refused.status == 422 && refused.code == "code.invalid" && refused["findings"] == nil)
            let unknown = try await api.call(.post, "/api/v1/help/sign-in/00000000-0000-4000-8000-000000000000/verify",
                                             json: ["code": code])
            #expect(unknown.status == 404 && unknown.code == "help.not_found")
            // The help waits as long as its code works.
            clock.advance(by: 601)
            for path in ["verify", "send-code"] {
                let late = try await api.call(.post, "/api/v1/help/sign-in/\(helpId)/\(path)", json: ["code": code])
                #expect(late.status == 410 && late.code == "help.expired")
            }
        }
        var strict = try await LockoutTests.config(.sqlite)
        strict.revealAccountExistence = false
        try await withKeyward(strict) { api, _ in
            let started = try await api.call(.post, "/api/v1/help/sign-in", json: ["identifier": "nobody@example.com"])
            #expect(started.status == 202 && started["channel"] as? String == "email")
            let helpId = try #require(started["helpId"] as? String)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await api.messages(to: "nobody@example.com").isEmpty)
            for code in ["000000", "123456"] {
                let refused = try await api.call(.post, "/api/v1/help/sign-in/\(helpId)/verify", json: ["code": code])
                #expect(refused.status == 422 && refused.code == "code.invalid")
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func anUnfinishedRegistrationAndAnUnfamiliarSignInAreToldWithTheirWayOut(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await NewSignInAlertTests.config(kind), clock: clock) { api, services in
            _ = try await api.register("halfway@example.com")
            _ = try await api.newestCode(for: "halfway@example.com")  // delivered: not taken for the help's
            clock.advance(by: 120)
            let pending = try await Self.findings(api, "halfway@example.com")
            #expect(Self.codes(pending) == ["account.registration_incomplete"])
            #expect(Self.href(pending.first)?.hasSuffix("/register") == true)

            let (accountId, _) = try await api.registerAndVerify("roamer@example.com")
            let away = try await api.signIn("roamer@example.com", headers: NewSignInAlertTests.from("203.0.113.50"))
            #expect(away.status == 200, "\(away.text)")
            let found = try await Self.findings(api, "roamer@example.com")
            let unfamiliar = try #require(found.first { $0["code"] as? String == "sign_in.unfamiliar" })
            #expect((unfamiliar["detail"] as? String)?.contains("203.0.113.50") == true)
            // Its way out is a freeze link of the owner's own, which opens the freeze page.
            let link = try #require(Self.href(unfamiliar).flatMap(URL.init(string:)))
            #expect(link.path.hasPrefix("/freeze/"))
            let page = try await api.call(.get, link.path)
            #expect(page.status == 200 && page.text.contains("id=\"freeze-account\""))
            #expect(try await FreezeLinkTests.confirm(api, link.path, page: page).status == 200)
            #expect(try await FreezeLinkTests.isFrozen(services, accountId))

            let frozen = try await Self.findings(api, "roamer@example.com")
            #expect(Self.codes(frozen).first == "account.frozen")
            #expect(Self.href(frozen.first)?.hasSuffix("/support?topic=account_frozen") == true)
            // Frozen already: no second freeze link is offered.
            #expect(frozen.allSatisfy { $0["code"] as? String != "sign_in.unfamiliar" || Self.href($0) == nil })
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func codesTheMailServerRefusedAndRequestsRefusedForComingTooOftenAreExplained(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        let config = try await LockoutTests.config(kind, ["rateLimit.signInsPerIdentifier": "2/3600"])
        try await withKeyward(config, clock: clock) { api, services in
            let (accountId, _) = try await api.registerAndVerify("busy@example.com")
            for _ in 1...3 { _ = try await api.login("busy@example.com") }
            let limited = try await Self.findings(api, "busy@example.com")
            let refusal = try #require(limited.first { $0["code"] as? String == "rate_limited.recent" })
            #expect((refusal["detail"] as? String)?.contains("Wait until") == true && refusal["at"] != nil)
            clock.advance(by: 3601)
            #expect(!Self.codes(try await Self.findings(api, "busy@example.com")).contains("rate_limited.recent"))

            // The mail server gave up on the newest message to the address before the help began;
            // the help's own code, which did arrive, does not hide it.
            let message = try #require(try await services.database.stores.outbox.recent(accountId: accountId, limit: 1).first)
            try await services.database.stores.outbox.markFailed(id: message.id, error: "550 5.1.1 mailbox unavailable",
                                                                 retryAt: nil, maskedDestination: "b•••y@example.com")
            clock.advance(by: 60)
            let failed = try await Self.findings(api, "busy@example.com")
            let delivery = try #require(failed.first { $0["code"] as? String == "delivery.failed" })
            let detail = try #require(delivery["detail"] as? String)
            #expect(detail.contains("550 5.1.1 mailbox unavailable") && detail.contains("spam") && !detail.contains("busy@example.com"))
        }
    }
}
