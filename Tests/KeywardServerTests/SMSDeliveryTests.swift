import Foundation
import HTTPTypes
import KeywardCore
import KeywardServer
import KeywardStorage
import KeywardTestSupport
import Testing

/// SMS through a real HTTP gateway, end to end.
@Suite struct SMSDeliveryTests {
    @Test(arguments: TestDatabases.kinds)
    func aPhoneRegistrationCodeIsPostedToTheGatewayWhileEmailStaysInTheMailbox(kind: SQLDialectKind) async throws {
        let databaseURL = try await TestDatabases.url(for: kind)
        try await SMSGatewayTestServer.with(["--token", "gateway-token", "--refuse", "+4915100000000"]) { gateway in
            var config = KeywardConfig.testing(databaseURL: databaseURL)
            config.sms.url = "http://127.0.0.1:\(gateway.port)/sms"
            config.sms.token = "gateway-token"
            try await withKeyward(config) { api, services in
                let registration = try await api.register("+4915112345678")
                let sms = try #require(try await gateway.received(atLeast: 1).first)
                #expect(sms.payload.to == "+4915112345678")
                let code = try #require(sms.payload.text.firstMatch(of: /\b(\d{6})\b/)?.1)
                let verified = try await api.call(.post, "/api/v1/registrations/\(registration)/verify", json: ["code": String(code)])
                #expect(verified.status == 200)
                #expect(try await api.messages(to: "+4915112345678").isEmpty)

                _ = try await api.register("mia@example.org")
                #expect(try await api.newestCode(for: "mia@example.org").count == 6)

                // A number the gateway refuses is settled at once, not retried for hours.
                _ = try await api.register("+4915100000000")
                var pending = -1
                for _ in 0..<250 {
                    pending = try await services.database.stores.outbox.pendingCount()
                    if pending == 0 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(pending == 0)
                #expect(try gateway.received().count == 1)
            }
        }
    }

    @Test func anSMSGatewayOverPlainHTTPElsewhereStopsTheServerWithOneLine() async throws {
        var config = KeywardConfig.testing()
        config.sms.url = "http://sms.example.com/send"
        await #expect(throws: StartupError.self) { _ = try await buildApplication(config: config) }
    }
}
