public import Foundation

/// A message kept by the development mailbox instead of being sent.
public struct DevelopmentMailboxEntry: Sendable, Equatable, Encodable {
    /// The address or phone number.
    public let to: String
    /// `email` or `sms`.
    public let channel: DeliveryChannel
    /// The subject.
    public let subject: String
    /// The text.
    public let body: String
    /// The one-time code, when the message carries one.
    public let code: String?
    /// When it was "sent".
    public let sentAt: Date

    /// An entry.
    public init(to: String, channel: DeliveryChannel, subject: String, body: String, code: String?, sentAt: Date) {
        self.to = to
        self.channel = channel
        self.subject = subject
        self.body = body
        self.code = code
        self.sentAt = sentAt
    }
}

/// Storage of the development mailbox, shared by every node.
public protocol DevelopmentMailboxStore: Sendable {
    /// Keeps a message.
    func append(_ entry: DevelopmentMailboxEntry) async throws
    /// The newest `limit` messages, newest first.
    func list(limit: Int) async throws -> [DevelopmentMailboxEntry]
}
