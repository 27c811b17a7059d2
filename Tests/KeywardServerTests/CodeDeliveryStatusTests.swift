import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// Someone waiting for a sign-in code can see where it stands, through the API and on the page:
/// accepted by the mail server, retried after the server put it off, or given up after a refusal.
@Suite struct CodeDeliveryStatusTests {
    /// A SQLite file two applications can use one after the other (a scratch PostgreSQL database
    /// already outlives one application).
    static func sharedSQLiteURL() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyward-delivery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return "sqlite://" + directory.appendingPathComponent("keyward.sqlite").path
    }

    /// The email code's status in sign-in flow `flowId`, once its delivery reads `state`.
    static func codeStatus(_ api: TestAPI, flowId: String, reaching state: String) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        for _ in 0..<250 {
            let reply = try await api.call(.get, "/api/v1/login/\(flowId)")
            last = try #require((reply["codes"] as? [String: Any])?["email_code"] as? [String: Any])
            if (last["delivery"] as? [String: Any])?["state"] as? String == state { return last }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the code's delivery never read \(state): \(last)")
    }

    @Test(arguments: TestDatabases.kinds)
    func aCodeThatIsPutOffOrRefusedSaysSoAndOffersTheOtherWay(kind: SQLDialectKind) async throws {
        var config = try await SignInDiagnosisTests.config(kind)
        if kind == .sqlite { config.databaseURL = try Self.sharedSQLiteURL() }
        // The accounts are made while email still goes to the development mailbox.
        try await withKeyward(config, keepDatabase: true) { api, _ in
            for address in ["fine@example.org", "busy@example.org", "gone@example.org"] {
                _ = try await api.registerAndVerify(address)
            }
        }
        let certificate = try TestCertificate()
        let options = certificate.serverOptions + ["--defer", "busy@example.org", "--refuse", "gone@example.org"]
        try await SMTPTestServer.with(options) { smtp in
            config.smtp.host = "localhost"
            config.smtp.port = smtp.port
            config.smtp.from = "security@keyward.test"
            config.smtp.trustRoots = certificate.certificate
            try await withKeyward(config) { api, _ in
                var flows: [String: String] = [:]
                for address in ["fine@example.org", "busy@example.org", "gone@example.org"] {
                    let flowId = try #require(try await api.login(address)["flowId"] as? String)
                    let untouched = try await api.call(.get, "/api/v1/login/\(flowId)")
                    #expect(((untouched["codes"] as? [String: Any])?["email_code"] as? [String: Any])?["sent"] as? Bool == false)
                    #expect(try await api.sendCode(flowId: flowId, path: "login", channel: "email").status == 202)
                    flows[address] = flowId
                }

                let sent = try #require(try await Self.codeStatus(api, flowId: flows["fine@example.org"]!, reaching: "sent")["delivery"]
                    as? [String: Any])
                #expect(sent["sentAt"] is String && sent["nextAttemptAt"] == nil)
                #expect(try await smtp.received(atLeast: 1).contains { $0.rcptTos == ["fine@example.org"] })

                let putOff = try #require(try await Self.codeStatus(api, flowId: flows["busy@example.org"]!, reaching: "retrying")["delivery"]
                    as? [String: Any])
                #expect(putOff["nextAttemptAt"] is String && putOff["sentAt"] == nil)
                let page = try await api.call(.get, "/login/verify",
                                              headers: [.cookie: "__Host-keyward_login=\(flows["busy@example.org"]!)"])
                #expect(page.text.contains(#"data-state="retrying""#))
                #expect(page.text.contains("your email provider did not take it"))

                _ = try await Self.codeStatus(api, flowId: flows["gone@example.org"]!, reaching: "failed")
                let refusedPage = try await api.call(.get, "/login/verify",
                                                     headers: [.cookie: "__Host-keyward_login=\(flows["gone@example.org"]!)"])
                #expect(refusedPage.text.contains("Your code could not be delivered"))

                // Support sees which address refuses and what the mail server said.
                let gone = try await SignInDiagnosisTests.diagnose(api, "gone@example.org")
                let finding = try #require((gone["findings"] as? [[String: Any]])?.first { $0["code"] as? String == "delivery.failed" })
                #expect((finding["detail"] as? String)?.contains("550") == true)
                let busy = try await SignInDiagnosisTests.diagnose(api, "busy@example.org")
                #expect(SignInDiagnosisTests.findings(busy).contains("delivery.retrying"))
            }
        }
    }

    /// The page at `path` once it says its code was accepted (the mailbox may hold the code a
    /// moment before the outbox records it sent).
    static func pageOnceSent(_ api: TestAPI, _ path: String) async throws -> String {
        for _ in 0..<250 {
            let page = try await api.call(.get, path).text
            if page.contains(#"data-state="sent""#) { return page }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("\(path) never said its code was sent")
    }

    @Test func theRegistrationAndRecoveryPagesSayWhenTheirCodeLeft() async throws {
        let clock = TestClock()
        try await withKeyward(try await LockoutTests.config(.sqlite), clock: clock) { api, _ in
            let registrationId = try await api.register("pages@example.org")
            let code = try await api.newestCode(for: "pages@example.org")
            let registering = try await Self.pageOnceSent(api, "/register/\(registrationId)")
            #expect(registering.contains("your email provider accepted it"))
            #expect(try await api.call(.post, "/api/v1/registrations/\(registrationId)/verify", json: ["code": code]).status == 200)

            clock.advance(by: 61)
            let recovery = try #require(try await api.call(.post, "/api/v1/recovery",
                                                           json: ["identifier": "pages@example.org"])["flowId"] as? String)
            _ = try await api.newestCode(for: "pages@example.org", after: code)
            let recovering = try await Self.pageOnceSent(api, "/recover/\(recovery)")
            #expect(recovering.contains("look in your spam or junk folder"))
        }
    }
}
