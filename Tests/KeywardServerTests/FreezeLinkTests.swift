import Foundation
import HTTPTypes
import HummingbirdTesting
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// The "this wasn't me" link security notices carry: the page it opens asks and changes nothing,
/// its form freezes the account once, and a used or expired link freezes nothing.
@Suite struct FreezeLinkTests {
    /// The freeze link path (`/freeze/<token>`) at the end of the newest message to `email` whose
    /// subject contains `subject`, waiting for it.
    static func freezeLink(_ api: TestAPI, to email: String, subject: String) async throws -> String? {
        let notice = try #require(try await api.message(to: email, subject: subject))
        let body = try #require(notice["body"] as? String)
        guard let found = body.range(of: #"https?://[^/\s]+/freeze/[A-Za-z0-9_-]{43}"#, options: .regularExpression)
        else { return nil }
        let link = try #require(URL(string: String(body[found])))
        return link.path
    }

    /// Five wrong passwords: the account locks and its owner is sent the lock notice.
    static func lockOut(_ api: TestAPI, _ email: String) async throws {
        for _ in 1...5 { _ = try await api.login(email, "Wrong-Passw0rd") }
    }

    static func isFrozen(_ services: KeywardServices, _ accountId: String) async throws -> Bool {
        try await services.database.stores.restrictions.active(accountId: accountId).contains { $0.kind == .frozen }
    }

    /// Posts the freeze page's form with the CSRF cookie and token `page` gave.
    static func confirm(_ api: TestAPI, _ path: String, page: Reply) async throws -> Reply {
        let (cookie, token) = try page.csrf()
        return try await api.call(.post, path, body: "csrf=\(token)",
                                  headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie])
    }

    @Test(arguments: TestDatabases.kinds)
    func aNoticesLinkAsksFirstThenFreezesOnceAndAFrozenAccountIsOfferedNoMoreLinks(kind: SQLDialectKind) async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(kind), clock: clock) { api, services in
            let (accountId, session) = try await api.registerAndVerify("brake@example.com")
            try await Self.lockOut(api, "brake@example.com")
            let path = try #require(try await Self.freezeLink(api, to: "brake@example.com", subject: "was locked"))

            // Opening the link, even twice (mail scanners follow links), only asks.
            for _ in 0..<2 {
                let page = try await api.call(.get, path)
                #expect(page.status == 200 && page.text.contains("action=\"\(path)\"") && page.text.contains("id=\"freeze-account\""))
                #expect(page.headers[.contentSecurityPolicy] != nil && page.headers[.cacheControl]?.contains("no-store") == true)
            }
            #expect(try await !Self.isFrozen(services, accountId))
            #expect(try await api.call(.get, "/api/v1/session", token: session).status == 200)

            // A form without its CSRF token freezes nothing and keeps the link.
            let (cookie, _) = try await api.call(.get, path).csrf()
            let forged = try await api.call(.post, path, body: "csrf=0000",
                                            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie])
            #expect(forged.status == 403 && forged.text.contains("data-code=\"csrf.invalid\""))
            #expect(try await !Self.isFrozen(services, accountId))

            let frozen = try await Self.confirm(api, path, page: try await api.call(.get, path))
            #expect(frozen.status == 200 && frozen.text.contains("id=\"frozen\""))
            #expect(try await Self.isFrozen(services, accountId))
            #expect(try await api.call(.get, "/api/v1/session", token: session).code == "session.required")
            #expect(try await api.message(to: "brake@example.com", subject: "was frozen") != nil)
            let events = try await services.database.stores.audit.recent(accountId: accountId, limit: 50)
            #expect(events.contains { $0.kind == .accountFrozen })

            // The link works once.
            let reused = try await Self.confirm(api, path, page: try await api.call(.get, "/support"))
            #expect(reused.status == 410 && reused.text.contains("<code>freeze.link_invalid</code>"))
            let reopened = try await api.call(.get, path)
            #expect(reopened.status == 410 && !reopened.text.contains("id=\"freeze-account\""))

            // Notices to a frozen account carry no link: there is nothing left to freeze.
            clock.advance(by: 86401)
            try await Self.lockOut(api, "brake@example.com")
            var locks: [[String: Any]] = []
            for _ in 0..<250 where locks.count < 2 {
                locks = try await api.messages(to: "brake@example.com").filter { ($0["subject"] as? String)?.contains("was locked") == true }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(locks.count == 2)
            #expect(locks.filter { ($0["body"] as? String)?.contains("/freeze/") == true }.count == 1)
        }
    }

    @Test func aLinkLastsSevenDaysAndAForgedOneFreezesNothing() async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(.sqlite), clock: clock) { api, services in
            let (accountId, _) = try await api.registerAndVerify("late@example.com")
            try await Self.lockOut(api, "late@example.com")
            let path = try #require(try await Self.freezeLink(api, to: "late@example.com", subject: "was locked"))
            let page = try await api.call(.get, path)
            #expect(page.status == 200)

            let forged = "/freeze/" + String(path.dropFirst("/freeze/".count).reversed())
            #expect(try await api.call(.get, forged).status == 410)
            #expect(try await Self.confirm(api, forged, page: page).status == 410)

            clock.advance(by: 7 * 86400 + 1)
            #expect(try await api.call(.get, path).status == 410)
            #expect(try await Self.confirm(api, path, page: page).status == 410)
            #expect(try await !Self.isFrozen(services, accountId))
            #expect(try await services.database.stores.freezeLinks.deleteExpired(now: clock.now()) == 1)
        }
    }
}
