public import Foundation

/// A message to a person, written in the same transaction as the event that causes it and
/// delivered afterwards by the outbox worker.
public struct OutboxMessage: Sendable, Equatable {
    /// A random id.
    public let id: String
    /// Email or SMS.
    public let channel: DeliveryChannel
    /// The address or phone number.
    public let destination: String
    /// The email subject (SMS ignore it).
    public let subject: String
    /// The text in clear, as a sender needs it. At rest it is only ever sealed (``QueuedMessage``).
    public let body: String
    /// The one-time code the body carries, present only when the development mailbox will show it.
    public let code: String?
    /// The account concerned.
    public let accountId: String?
    /// When it was written.
    public let createdAt: Date
    /// Delivery attempts made so far.
    public var attempts: Int

    /// A new message.
    public init(id: String, channel: DeliveryChannel, destination: String, subject: String, body: String,
                code: String?, accountId: String?, createdAt: Date, attempts: Int = 0) {
        self.id = id
        self.channel = channel
        self.destination = destination
        self.subject = subject
        self.body = body
        self.code = code
        self.accountId = accountId
        self.createdAt = createdAt
        self.attempts = attempts
    }
}

/// A message as the outbox keeps it: its text sealed with AES-GCM and bound to the message id,
/// so that a copy of the database holds no code in clear. The one-time code is kept beside it in
/// clear only when the message goes to the development mailbox, which shows codes by design.
public struct QueuedMessage: Sendable, Equatable {
    /// A random id.
    public let id: String
    /// Email or SMS.
    public let channel: DeliveryChannel
    /// The address or phone number.
    public let destination: String
    /// The subject with any code masked, which names what the message is for; the real one is
    /// sealed with the text.
    public let subject: String
    /// The sealed subject and text (base64 of nonce, ciphertext and tag).
    public let sealedBody: String?
    /// Text queued by a version that did not seal bodies yet; `nil` for every message queued since.
    public let clearBody: String?
    /// The one-time code, kept only for the development mailbox.
    public let code: String?
    /// The account concerned.
    public let accountId: String?
    /// When it was written.
    public let createdAt: Date
    /// Delivery attempts made so far.
    public var attempts: Int

    /// A stored message.
    public init(id: String, channel: DeliveryChannel, destination: String, subject: String, sealedBody: String?,
                clearBody: String? = nil, code: String?, accountId: String?, createdAt: Date, attempts: Int = 0) {
        self.id = id
        self.channel = channel
        self.destination = destination
        self.subject = subject
        self.sealedBody = sealedBody
        self.clearBody = clearBody
        self.code = code
        self.accountId = accountId
        self.createdAt = createdAt
        self.attempts = attempts
    }
}

extension QueuedMessage {
    /// The destination with most of it hidden, which is all that is kept once the message is sent
    /// or given up.
    public var maskedDestination: String {
        Identifier(kind: channel == .email ? .email : .phone, value: destination).masked
    }
}

/// Where a queued message stands, as the person waiting for it may be told.
public struct OutboxDelivery: Sendable, Equatable {
    /// The stages of a message's delivery.
    public enum State: String, Sendable {
        /// Waiting for its first attempt.
        case queued
        /// An attempt failed and another is planned.
        case retrying
        /// Handed to the mail server or SMS gateway, which accepted it.
        case sent
        /// Given up: refused for good, or every attempt failed.
        case failed
    }

    /// The stage.
    public let state: State
    /// When it was queued.
    public let queuedAt: Date
    /// When the mail server or gateway accepted it.
    public let sentAt: Date?
    /// When the next attempt is due, while retrying.
    public let nextAttemptAt: Date?
    /// Attempts made so far.
    public let attempts: Int
    /// What the mail server or gateway last answered when it did not take the message; for
    /// support, never shown to the person waiting.
    public let lastError: String?

    /// A delivery record.
    public init(state: State, queuedAt: Date, sentAt: Date?, nextAttemptAt: Date?, attempts: Int, lastError: String? = nil) {
        self.state = state
        self.queuedAt = queuedAt
        self.sentAt = sentAt
        self.nextAttemptAt = nextAttemptAt
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// A message sent (or being sent) to an account, without its text, as support may see it.
public struct OutboxRecord: Sendable, Equatable {
    /// The message id.
    public let id: String
    /// Email or SMS.
    public let channel: DeliveryChannel
    /// The address or number.
    public let destination: String
    /// The subject, which names what the message was for.
    public let subject: String
    /// Where its delivery stands.
    public let delivery: OutboxDelivery

    /// A record of one message.
    public init(id: String, channel: DeliveryChannel, destination: String, subject: String, delivery: OutboxDelivery) {
        self.id = id
        self.channel = channel
        self.destination = destination
        self.subject = subject
        self.delivery = delivery
    }
}

/// Messages waiting to leave.
public protocol OutboxStore: Sendable {
    /// Queues a message for delivery at once.
    func enqueue(_ message: QueuedMessage) async throws

    /// Leases up to `limit` messages that are due, so that no other worker takes them until
    /// `leaseUntil`; each lease counts as an attempt. Messages in `excluding` (those the caller is
    /// still sending) are never leased again, however late their lease.
    func claimDue(now: Date, leaseUntil: Date, limit: Int, excluding: Set<String>) async throws -> [QueuedMessage]

    /// Marks a message delivered and erases its text and code, keeping only `maskedDestination` of
    /// the address: what delivery status and support need, nothing that could be misused.
    func markSent(id: String, at: Date, maskedDestination: String) async throws

    /// Records a failed attempt: retried at `retryAt`, or given up on when `nil`, which erases the
    /// text and code and keeps only `maskedDestination` of the address.
    func markFailed(id: String, error: String, retryAt: Date?, maskedDestination: String) async throws

    /// How many messages are still waiting.
    func pendingCount() async throws -> Int

    /// Where message `id` stands, or `nil` when there is no such message.
    func delivery(id: String) async throws -> OutboxDelivery?

    /// The account's newest messages, newest first, without their text.
    func recent(accountId: String, limit: Int) async throws -> [OutboxRecord]
}

/// Sends a message on its channel. Throwing means the message is retried later, unless the error
/// is a permanent ``DeliveryFailure``.
public protocol MessageSender: Sendable {
    /// Delivers `message`.
    func send(_ message: OutboxMessage) async throws
}

/// Why a sender could not deliver a message. A permanent failure (the receiving server refused the
/// address or the content for good) is given up on at once; retrying cannot change the answer.
/// Every other failure, including any other error type, is retried with backoff.
public struct DeliveryFailure: Error, CustomStringConvertible, Sendable {
    /// One line saying what went wrong, never holding the message's text.
    public let description: String
    /// Whether retrying is pointless.
    public let isPermanent: Bool

    /// A failure described by `description`.
    public init(_ description: String, permanent: Bool) {
        self.description = description
        self.isPermanent = permanent
    }
}
