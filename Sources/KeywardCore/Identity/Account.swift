public import Foundation

/// A person's account.
public struct Account: Sendable, Equatable {
    /// Whether the account can be signed in to.
    public enum Status: String, Sendable, Codable {
        /// Registered, but the first code was never entered.
        case pending
        /// Verified and usable.
        case active
    }

    /// A random UUID.
    public let id: String
    /// Pending or active.
    public var status: Status
    /// The Argon2id (or imported bcrypt) PHC string; `nil` while pending.
    public var passwordHash: String?
    /// When the account was first registered.
    public let createdAt: Date
    /// When the registration was verified.
    public var activatedAt: Date?

    /// An account record.
    public init(id: String, status: Status, passwordHash: String?, createdAt: Date, activatedAt: Date?) {
        self.id = id
        self.status = status
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.activatedAt = activatedAt
    }
}

/// An identifier bound to an account.
public struct AccountIdentifier: Sendable, Equatable {
    /// The identifier.
    public let identifier: Identifier
    /// When the owner proved control of it with a code; `nil` while unverified.
    public var verifiedAt: Date?

    /// A binding of `identifier`.
    public init(identifier: Identifier, verifiedAt: Date?) {
        self.identifier = identifier
        self.verifiedAt = verifiedAt
    }
}
