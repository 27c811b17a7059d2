import Foundation
import HTTPTypes
import KeywardCore
import KeywardDelivery
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// Email through a real mail server (aiosmtpd over STARTTLS with a login), end to end.
@Suite struct EmailDeliveryTests {
    func config(smtpPort: Int, certificate: TestCertificate, databaseURL: String = "sqlite::memory:") -> KeywardConfig {
        var config = KeywardConfig.testing(databaseURL: databaseURL)
        config.smtp.host = "localhost"
        config.smtp.port = smtpPort
        config.smtp.username = "keyward"
        config.smtp.password = "relay-password"
        config.smtp.from = "Keyward Security <security@keyward.test>"
        config.smtp.trustRoots = certificate.certificate
        return config
    }

    @Test func aRegistrationCodeTravelsByRealSMTPWhileSMSStaysInTheDevelopmentMailbox() async throws {
        let certificate = try TestCertificate()
        try await SMTPTestServer.with(certificate.serverOptions + ["--login", "keyward:relay-password"]) { smtp in
            try await withKeyward(config(smtpPort: smtp.port, certificate: certificate)) { api, _ in
                let registration = try await api.register("mia@example.org")
                let mail = try #require(try await smtp.received(atLeast: 1).first)
                #expect(mail.tls && mail.login == "keyward" && mail.rcptTos == ["mia@example.org"])
                #expect(mail.headers["From"] == "Keyward Security <security@keyward.test>")
                let code = try #require(mail.body.firstMatch(of: /\b(\d{6})\b/)?.1)
                let verified = try await api.call(.post, "/api/v1/registrations/\(registration)/verify", json: ["code": String(code)])
                #expect(verified.status == 200)
                #expect(try await api.messages(to: "mia@example.org").isEmpty)

                _ = try await api.register("+4915112345678")
                #expect(try await api.newestCode(for: "+4915112345678").count == 6)
                #expect(try smtp.received().count == 1)
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func anAddressTheMailServerRefusesIsGivenUpWhileABusyOneWaitsForItsRetry(kind: SQLDialectKind) async throws {
        let certificate = try TestCertificate()
        let databaseURL = try await TestDatabases.url(for: kind)
        let options = certificate.serverOptions + ["--login", "keyward:relay-password",
                                                   "--refuse", "gone@example.org", "--defer", "busy@example.org"]
        try await SMTPTestServer.with(options) { smtp in
            try await withKeyward(config(smtpPort: smtp.port, certificate: certificate, databaseURL: databaseURL)) { api, services in
                _ = try await api.register("gone@example.org")
                _ = try await api.register("busy@example.org")
                let outbox = services.database.stores.outbox
                var attempted = false
                for _ in 0..<250 where !attempted {
                    attempted = try await outbox.pendingCount() == 1
                    if !attempted { try await Task.sleep(for: .milliseconds(20)) }
                }
                // The refused address is settled for good; the busy one stays queued for a retry.
                #expect(attempted)
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await outbox.pendingCount() == 1)
                #expect(try smtp.received().isEmpty)
            }
        }
    }

    @Test func aMailServerThatHangsHoldsUpNeitherTheSMSCodesNorOtherEmail() async throws {
        try await SMTPTestServer.with(["--silent"]) { smtp in
            var config = KeywardConfig.testing()
            config.smtp.host = "localhost"
            config.smtp.port = smtp.port
            config.smtp.from = "security@keyward.test"
            config.smtp.timeout = 60
            try await withKeyward(config) { api, services in
                // Each of these emails now waits on a server that never answers, for up to a minute.
                for index in 0..<3 { _ = try await api.register("stuck\(index)@example.org") }
                // The SMS code arrives while they wait (newestCode gives up after 5 s).
                _ = try await api.register("+4915112345679")
                #expect(try await api.newestCode(for: "+4915112345679").count == 6)
                #expect(try await services.database.stores.outbox.pendingCount() == 3)
            }
        }
    }

    @Test func smtpSettingsThatCannotWorkStopTheServerWithOneLineNamingTheKey() async throws {
        func refusal(_ change: (inout KeywardConfig) -> Void) async -> String {
            var config = KeywardConfig.testing()
            config.smtp.host = "mail.example.org"
            config.smtp.from = "security@example.org"
            change(&config)
            do {
                _ = try await buildApplication(config: config)
                return "started"
            } catch {
                return "\(error)"
            }
        }
        #expect(await refusal { $0.smtp.from = nil }.contains("delivery.smtp.from is required"))
        #expect(await refusal { $0.smtp.from = "Security <security>" }.contains("delivery.smtp.from"))
        #expect(await refusal { $0.smtp.security = .none }.contains("only for a relay on this machine"))
        #expect(await refusal { $0.smtp.username = "keyward" }.contains("set together"))
        #expect(await refusal { $0.smtp.host = "192.0.2.10" }.contains("host name"))
        #expect(await refusal { $0.smtp.trustRoots = "/nonexistent/ca.pem" }.contains("delivery.smtp.trustRoots"))
        var config = KeywardConfig()
        #expect(throws: ConfigKey.InvalidValue.self) { try config.set("delivery.smtp.security", to: "ssl3") }
        try config.set("KEYWARD_SMTP_SECURITY", to: "tls")
        try config.set("delivery.smtp.host", to: "mail.example.org")
        try config.set("delivery.smtp.from", to: "security@example.org")
        #expect(try config.smtpSettings()?.port == 465)
    }
}
