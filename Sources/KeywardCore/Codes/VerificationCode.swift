public import Foundation

/// A one-time code sent to a person, bound to the flow it was issued for. Only its keyed hash is stored.
public struct VerificationCode: Sendable, Equatable {
    /// A random id.
    public let id: String
    /// The flow the code belongs to; it is never accepted by another.
    public let flowId: String
    /// Which of the flow's codes this is, when a flow sends several at once (a code to the new
    /// phone number and one to the old); empty for a flow's single code.
    public let purpose: String
    /// How it was sent.
    public let channel: DeliveryChannel
    /// The address or number it was sent to.
    public let destination: String
    /// HMAC-SHA-256 of the code, bound to the flow.
    public let codeHash: String
    /// When it was sent.
    public let createdAt: Date
    /// When it stops working.
    public let expiresAt: Date
    /// Checks made against it so far.
    public var attempts: Int
    /// Checks allowed before it dies.
    public let maxAttempts: Int
    /// When it was used, or superseded by a newer code.
    public var consumedAt: Date?

    /// A code record.
    public init(id: String, flowId: String, purpose: String = "", channel: DeliveryChannel, destination: String,
                codeHash: String, createdAt: Date, expiresAt: Date, attempts: Int, maxAttempts: Int, consumedAt: Date?) {
        self.id = id
        self.flowId = flowId
        self.purpose = purpose
        self.channel = channel
        self.destination = destination
        self.codeHash = codeHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.consumedAt = consumedAt
    }
}

/// Stored one-time codes. Attempt counting and consumption are single atomic statements.
public protocol VerificationCodeStore: Sendable {
    /// Stores a code, superseding (consuming) every earlier unused code of the same flow and purpose.
    func issue(_ code: VerificationCode) async throws

    /// The flow's newest code for `purpose`, or of any purpose when `purpose` is `nil`.
    func latest(flowId: String, purpose: String?) async throws -> VerificationCode?

    /// When a code was last sent to `destination`, by any flow.
    func lastSent(destination: String) async throws -> Date?

    /// Atomically counts one check against the code if it is unused, unexpired at `now` and has
    /// checks left; returns the new count, or `nil` when no check may be made.
    func claimAttempt(id: String, now: Date) async throws -> Int?

    /// Atomically marks the code used; `false` when it was already used.
    func consume(id: String, at: Date) async throws -> Bool
}
