import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// A sign-in from a network or country an account is not used from is audited as unfamiliar and
/// told to the owner on every channel; sign-ins from where the owner registered or signed in
/// before, and known devices travelling, are not.
@Suite struct NewSignInAlertTests {
    static func config(_ kind: SQLDialectKind, _ settings: [String: String] = [:]) async throws -> KeywardConfig {
        try await LockoutTests.config(kind, ["server.trustedProxies": "127.0.0.0/8,::1",
                                             "server.countryHeader": "CF-IPCountry"].merging(settings) { $1 })
    }

    /// Headers a trusted proxy would add for a client at `ip` in `country`.
    static func from(_ ip: String, country: String? = nil) -> HTTPFields {
        var fields: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: ip]
        if let country { fields[HTTPField.Name("CF-IPCountry")!] = country }
        return fields
    }

    /// The new sign-in notices delivered to `destination`, once the outbox has delivered everything
    /// queued so far (so that an empty answer means none was queued).
    static func alerts(_ api: TestAPI, _ services: KeywardServices, to destination: String) async throws -> [[String: Any]] {
        for _ in 0..<500 where try await services.database.stores.outbox.pendingCount() > 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await api.messages(to: destination).filter {
            ($0["subject"] as? String)?.contains("New sign-in") == true || ($0["body"] as? String)?.contains("new sign-in") == true
        }
    }

    static func signIn(_ api: TestAPI, from headers: HTTPFields, deviceId: String? = nil) async throws {
        let reply = try await api.signIn("owner@example.com", deviceId: deviceId, headers: headers)
        guard reply.status == 200 else { throw TestFailure("sign-in failed: \(reply.status) \(reply.text)") }
    }

    @Test(arguments: TestDatabases.kinds)
    func aSignInFromANewNetworkIsToldOnEveryChannelOnce(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind)) { api, services in
            let (accountId, _) = try await api.registerAndVerify("owner@example.com")
            let token = try await api.signedInToken("owner@example.com")
            let bind = try #require(try await api.call(.post, "/api/v1/account/phone", json: ["phone": "+447700900555"],
                                                       token: token)["flowId"] as? String)
            let phoneCode = try await api.newestCode(for: "+447700900555")
            #expect(try await api.call(.post, "/api/v1/account/phone/\(bind)/verify", json: ["newCode": phoneCode],
                                       token: token).status == 200)

            try await Self.signIn(api, from: [:])
            #expect(try await Self.alerts(api, services, to: "owner@example.com").isEmpty)

            try await Self.signIn(api, from: Self.from("203.0.113.9"))
            let email = try #require(try await Self.alerts(api, services, to: "owner@example.com").first)
            let body = try #require(email["body"] as? String)
            #expect(email["subject"] as? String == "New sign-in to your Keyward account")
            #expect(body.contains("IP address: 203.0.113.9"))
            #expect(body.contains("Forgot password?"))
            // Its one link is the freeze link.
            let links = body.components(separatedBy: "http").dropFirst()
            #expect(links.count == 1 && links.allSatisfy { $0.hasPrefix("://") && $0.contains("/freeze/") })
            let sms = try #require(try await Self.alerts(api, services, to: "+447700900555").first)
            #expect((sms["body"] as? String)?.contains("203.0.113.9") == true)

            // Another address of the same /24 is the same place.
            try await Self.signIn(api, from: Self.from("203.0.113.200"))
            #expect(try await Self.alerts(api, services, to: "owner@example.com").count == 1)

            let events = try await services.database.stores.audit.recent(accountId: accountId, limit: 100)
                .filter { $0.kind == .loginSucceeded }
            // Newest first: the same /24 again, the new network, and two from the registration's.
            #expect(events.map { $0.details["unfamiliar"] ?? "-" } == ["-", "network", "-", "-"])
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aKnownDeviceTravelsQuietlyButANewDeviceOnANewNetworkIsTold(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind)) { api, services in
            _ = try await api.registerAndVerify("owner@example.com")
            let laptop = "owner-laptop-0123456789abcdef"
            try await Self.signIn(api, from: [:], deviceId: laptop)
            try await Self.signIn(api, from: Self.from("192.0.2.5"), deviceId: laptop)
            #expect(try await Self.alerts(api, services, to: "owner@example.com").isEmpty)

            try await Self.signIn(api, from: Self.from("198.51.100.20"), deviceId: "stranger-device-0123456789ab")
            #expect(try await Self.alerts(api, services, to: "owner@example.com").count == 1)
            // The network the known device brought along is now familiar to any device.
            try await Self.signIn(api, from: Self.from("192.0.2.77"), deviceId: "second-phone-0123456789abcd")
            #expect(try await Self.alerts(api, services, to: "owner@example.com").count == 1)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func aNewCountryIsToldEvenFromAFamiliarNetwork(kind: SQLDialectKind) async throws {
        try await withKeyward(try await Self.config(kind)) { api, services in
            _ = try await api.registerAndVerify("owner@example.com")
            // The first country on record is where the owner is; it warns no one.
            try await Self.signIn(api, from: Self.from("127.0.0.1", country: "de"))
            #expect(try await Self.alerts(api, services, to: "owner@example.com").isEmpty)
            try await Self.signIn(api, from: Self.from("127.0.0.1", country: "FR"))
            let alert = try #require(try await Self.alerts(api, services, to: "owner@example.com").first)
            #expect((alert["body"] as? String)?.contains("127.0.0.1 (country: FR)") == true)
            #expect((alert["body"] as? String)?.contains("from a country it has not been used from") == true)
            try await Self.signIn(api, from: Self.from("127.0.0.1", country: "DE"))
            try await Self.signIn(api, from: Self.from("127.0.0.1", country: "XX"))
            #expect(try await Self.alerts(api, services, to: "owner@example.com").count == 1)
        }
    }

    @Test func anUntrustedPeerCannotNameItsCountryOrAddress() async throws {
        let config = try await LockoutTests.config(.sqlite, ["server.countryHeader": "CF-IPCountry"])
        try await withKeyward(config) { api, services in
            let (accountId, _) = try await api.registerAndVerify("owner@example.com")
            try await Self.signIn(api, from: Self.from("203.0.113.9", country: "FR"))
            #expect(try await Self.alerts(api, services, to: "owner@example.com").isEmpty)
            let event = try #require(try await services.database.stores.audit.recent(accountId: accountId, limit: 100)
                .first { $0.kind == .loginSucceeded })
            #expect(event.details["country"] == nil)
            #expect(event.ip == "127.0.0.1")
        }
    }

    @Test func withAlertsOffAnUnfamiliarSignInIsOnlyAudited() async throws {
        try await withKeyward(try await Self.config(.sqlite, ["alerts.newSignIn": "false"])) { api, services in
            let (accountId, _) = try await api.registerAndVerify("owner@example.com")
            try await Self.signIn(api, from: Self.from("2001:db8:1:2::9"))
            #expect(try await Self.alerts(api, services, to: "owner@example.com").isEmpty)
            let event = try #require(try await services.database.stores.audit.recent(accountId: accountId, limit: 100)
                .first { $0.kind == .loginSucceeded })
            #expect(event.details["unfamiliar"] == "network")
            let locations = services.database.stores.locations
            #expect(try await locations.isKnown(accountId: accountId, kind: .network, value: "2001:db8:1::/48"))
            #expect(try await locations.isKnown(accountId: accountId, kind: .network, value: "127.0.0.0/24"))
        }
    }
}
