public import KeywardCore
import Foundation

/// The development "sender": keeps every message in the development mailbox, shown at
/// `/dev/mailbox`, instead of sending it. Never used in production unless explicitly allowed.
public struct DevelopmentMailboxSender: MessageSender {
    private let mailbox: any DevelopmentMailboxStore
    private let clock: any KeywardClock

    /// A sender writing into `mailbox`.
    public init(mailbox: any DevelopmentMailboxStore, clock: any KeywardClock) {
        self.mailbox = mailbox
        self.clock = clock
    }

    public func send(_ message: OutboxMessage) async throws {
        try await mailbox.append(DevelopmentMailboxEntry(
            to: message.destination, channel: message.channel, subject: message.subject,
            body: message.body, code: message.code, sentAt: clock.now()))
    }
}

/// A sender for deployments with no delivery configured for a channel: every attempt fails, so the
/// message stays in the outbox (retried with backoff) and the failure is visible.
public struct UnconfiguredSender: MessageSender {
    /// Names the channel in the error.
    public init() {}

    /// Why delivery failed.
    public struct NotConfigured: Error, CustomStringConvertible {
        /// One line.
        public let description: String
    }

    public func send(_ message: OutboxMessage) async throws {
        throw NotConfigured(description: "no \(message.channel.rawValue) delivery is configured")
    }
}
