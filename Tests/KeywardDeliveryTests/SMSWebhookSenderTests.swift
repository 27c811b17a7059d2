import Foundation
import KeywardCore
import KeywardDelivery
import KeywardTestSupport
import Testing

@Suite("SMS posted to a real HTTP gateway")
struct SMSWebhookSenderTests {
    func message(to number: String = "+4915112345678", text: String = "Your sign-in code is 123456.") -> OutboxMessage {
        OutboxMessage(id: "m\(UInt64.random(in: 1...UInt64.max))", channel: .sms, destination: number,
                      subject: "", body: text, code: nil, accountId: nil, createdAt: Date())
    }

    /// Runs `body` with a sender for `gateway`, shutting its HTTP client down afterwards.
    func withSender(_ url: String, token: String? = "gateway-token",
                    _ body: (SMSWebhookSender) async throws -> Void) async throws {
        let sender = SMSWebhookSender(settings: try SMSWebhookSettings(url: url, token: token, timeout: 5))
        do {
            try await body(sender)
        } catch {
            try await sender.shutdown()
            throw error
        }
        try await sender.shutdown()
    }

    @Test func anSMSIsPostedAsJSONWithTheTokenAndItsIdAsIdempotencyKey() async throws {
        try await SMSGatewayTestServer.with(["--token", "gateway-token"]) { gateway in
            try await withSender("http://127.0.0.1:\(gateway.port)/v1/sms") { sender in
                let outgoing = message(text: "Ihr Code: 654321 — gültig 10 Minuten")
                try await sender.send(outgoing)
                let received = try #require(try gateway.received().first)
                #expect(received.path == "/v1/sms")
                #expect(received.payload.to == "+4915112345678" && received.payload.text == outgoing.body)
                #expect(received.payload.messageId == outgoing.id && received.headers["idempotency-key"] == outgoing.id)
                #expect(received.headers["content-type"] == "application/json")
            }
        }
    }

    @Test func aNumberTheGatewayRefusesIsPermanentWhileBusyOrUnauthorizedIsRetried() async throws {
        try await SMSGatewayTestServer.with(["--token", "gateway-token", "--refuse", "+100", "--busy", "+200"]) { gateway in
            try await withSender("http://127.0.0.1:\(gateway.port)/sms") { sender in
                let refused = await deliveryFailure { try await sender.send(message(to: "+100")) }
                #expect(refused?.isPermanent == true && refused?.description.contains("422") == true)
                let busy = await deliveryFailure { try await sender.send(message(to: "+200")) }
                #expect(busy?.isPermanent == false && busy?.description.contains("503") == true)
            }
            // A wrong token is the operator's to fix: retried, and the error names the status so
            // the log shows what is wrong, never the text.
            try await withSender("http://127.0.0.1:\(gateway.port)/sms", token: "wrong") { sender in
                let unauthorized = await deliveryFailure { try await sender.send(message(text: "Your code is 111222")) }
                #expect(unauthorized?.isPermanent == false && unauthorized?.description.contains("401") == true)
                #expect(unauthorized?.description.contains("111222") == false)
            }
            #expect(try gateway.received().isEmpty)
        }
    }

    @Test func anUnreachableGatewayIsRetried() async throws {
        let port = try await SMSGatewayTestServer.with([]) { $0.port }
        try await withSender("http://127.0.0.1:\(port)/sms") { sender in
            let failure = await deliveryFailure { try await sender.send(message()) }
            #expect(failure?.isPermanent == false && failure?.description.contains("could not deliver") == true)
        }
    }

    @Test func codesOnlyTravelOverHTTPSExceptToThisMachine() throws {
        #expect(throws: SMSWebhookSettings.Invalid.self) {
            try SMSWebhookSettings(url: "http://sms.example.com/send", token: nil, timeout: 5)
        }
        #expect(throws: SMSWebhookSettings.Invalid.self) {
            try SMSWebhookSettings(url: "sms.example.com/send", token: nil, timeout: 5)
        }
        _ = try SMSWebhookSettings(url: "https://sms.example.com/send", token: nil, timeout: 5)
        _ = try SMSWebhookSettings(url: "http://localhost:9000/send", token: nil, timeout: 5)
    }
}
