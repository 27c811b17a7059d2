import AsyncHTTPClient
public import KeywardCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Delivers SMS by posting each one to the platform's SMS gateway (``SMSWebhookSettings``):
/// `POST` with JSON `{"messageId", "to", "text"}`, the outbox message id also sent as
/// `Idempotency-Key` so a gateway can ignore a retried duplicate. Redirects are not followed.
///
/// A 2xx answer means delivered. 401, 403 and 404 (a token or URL the operator will fix), 408
/// and 429 mean "later"; any other 4xx means the gateway will never take this message (a
/// permanent ``DeliveryFailure``); 5xx and network trouble are retried. Errors name the status
/// only, never the text.
public final class SMSWebhookSender: MessageSender {
    private let settings: SMSWebhookSettings
    private let client: HTTPClient

    /// A sender with its own HTTP client; call ``shutdown()`` once it is no longer used.
    public init(settings: SMSWebhookSettings) {
        self.settings = settings
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(10))
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    /// Closes the HTTP client's connections.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    private struct Payload: Encodable {
        let messageId: String
        let to: String
        let text: String
    }

    public func send(_ message: OutboxMessage) async throws {
        guard message.channel == .sms else {
            throw DeliveryFailure("the SMS gateway carries SMS, not \(message.channel.rawValue)", permanent: true)
        }
        var request = HTTPClientRequest(url: settings.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: message.id)
        if let token = settings.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let payload = Payload(messageId: message.id, to: message.destination, text: message.body)
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(payload)))

        let gateway = settings.url.host ?? "the SMS gateway"
        let status: UInt
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)))
            status = response.status.code
            _ = try? await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw DeliveryFailure("could not deliver to the SMS gateway \(gateway): \(error)", permanent: false)
        }
        switch status {
        case 200..<300:
            return
        case 401, 403, 404, 408, 429:
            // A wrong token or URL is fixed by the operator, and load passes: worth retrying.
            throw DeliveryFailure("the SMS gateway \(gateway) answered \(status); retrying later", permanent: false)
        case 400..<500:
            throw DeliveryFailure("the SMS gateway \(gateway) refused the message with \(status)", permanent: true)
        default:
            throw DeliveryFailure("the SMS gateway \(gateway) answered \(status)", permanent: false)
        }
    }
}
