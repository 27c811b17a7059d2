public import KeywardCore
import Foundation
import NIOSSL

/// Delivers email through a mail server over SMTP: each message is rendered as a plain-text
/// UTF-8 email from ``SMTPSettings/from`` and handed over in its own SMTP session. The outbox
/// message's id becomes the `Message-ID`, so a retried message keeps its identity.
public struct SMTPSender: MessageSender {
    private let settings: SMTPSettings
    private let clock: any KeywardClock
    private let conversation: SMTPConversation

    /// A sender for `settings`. Throws at once when the TLS settings cannot be used (for example
    /// an unreadable trust-roots file), so that a misconfiguration stops the server from starting
    /// instead of failing every message later.
    public init(settings: SMTPSettings, clock: any KeywardClock) throws {
        self.settings = settings
        self.clock = clock
        var tls: NIOSSLContext?
        if settings.security != .none {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            if let file = settings.trustRootsFile {
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw SMTPSettings.Invalid(description: "delivery.smtp.trustRoots: \(file) cannot be read")
                }
                configuration.trustRoots = .file(file)
            }
            do {
                tls = try NIOSSLContext(configuration: configuration)
            } catch {
                throw SMTPSettings.Invalid(description: "delivery.smtp: TLS cannot be set up (\(error)); check delivery.smtp.trustRoots")
            }
        }
        conversation = SMTPConversation(settings: settings, tls: tls)
    }

    public func send(_ message: OutboxMessage) async throws {
        guard message.channel == .email else {
            throw DeliveryFailure("SMTP carries email, not \(message.channel.rawValue)", permanent: true)
        }
        let recipient: MailAddress
        do {
            recipient = try MailAddress(name: nil, address: message.destination)
        } catch {
            throw DeliveryFailure("\(error)", permanent: true)
        }
        let email = EmailMessage(from: settings.from, to: recipient, subject: message.subject, body: message.body,
                                 date: clock.now(), messageID: message.id)
        try await conversation.deliver(sender: settings.from.address, recipient: recipient.address, data: email.rendered)
    }
}

/// Hands each message to the sender of its channel.
public struct ChannelRoutingSender: MessageSender {
    private let email: any MessageSender
    private let sms: any MessageSender

    /// Routes email to `email` and SMS to `sms`.
    public init(email: any MessageSender, sms: any MessageSender) {
        self.email = email
        self.sms = sms
    }

    public func send(_ message: OutboxMessage) async throws {
        switch message.channel {
        case .email: try await email.send(message)
        case .sms: try await sms.send(message)
        }
    }
}
