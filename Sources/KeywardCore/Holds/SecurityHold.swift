public import Foundation

/// A restriction the platform's other services honour for a while after a sensitive change — by
/// default no withdrawals for 24 hours after a password reset, as exchanges do — or, with no end,
/// while the account is restricted or frozen.
public struct SecurityHold: Sendable, Equatable {
    /// Well-known kinds; `kind` is an open string so platforms may add their own.
    public static let withdrawal = "withdrawal"

    /// A random id.
    public let id: String
    /// The account held.
    public let accountId: String
    /// What is held, such as `withdrawal`.
    public let kind: String
    /// Why, as a stable reason code such as `password.reset`.
    public let reason: String
    /// When it began.
    public let placedAt: Date
    /// When it ends; `nil` while an ``AccountRestriction`` in force holds it.
    public let until: Date?

    /// A hold record.
    public init(id: String, accountId: String, kind: String, reason: String, placedAt: Date, until: Date?) {
        self.id = id
        self.accountId = accountId
        self.kind = kind
        self.reason = reason
        self.placedAt = placedAt
        self.until = until
    }
}

extension KeywardStores {
    /// Every hold on the account at `now`: those placed after changes, ending soonest first, then one
    /// with no end for each restriction in force.
    public func holdsInForce(accountId: String, now: Date) async throws -> [SecurityHold] {
        try await holds.active(accountId: accountId, now: now) + restrictions.active(accountId: accountId).map(\.hold)
    }
}

/// Stored holds.
public protocol SecurityHoldStore: Sendable {
    /// Stores a hold.
    func place(_ hold: SecurityHold) async throws
    /// The account's holds still in force at `now`, ending soonest first.
    func active(accountId: String, now: Date) async throws -> [SecurityHold]
}

/// Devices that have signed in to an account successfully, known by the keyed hash of their id.
public protocol KnownDeviceStore: Sendable {
    /// Whether the device has signed in to the account before.
    func isKnown(accountId: String, deviceHash: String) async throws -> Bool
    /// Records a successful sign-in from the device.
    func remember(accountId: String, deviceHash: String, at: Date) async throws
}
