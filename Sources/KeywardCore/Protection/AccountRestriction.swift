public import Foundation

/// A stop on an account: while one is in force the account cannot sign in and its withdrawals are
/// held, until support (or, for a restriction, an operator) lifts it. Records are kept once lifted.
public struct AccountRestriction: Sendable, Equatable {
    /// Who stopped the account, which decides the way back.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Risk control or an operator restricted it; support reviews an `account_restricted` case.
        case restricted
        /// Its owner froze it ("this wasn't me"); support unfreezes it after an `account_frozen`
        /// case with identity documents.
        case frozen
    }

    /// Why, as the stable category the person and support see.
    public enum Reason: String, Sendable, Codable, CaseIterable {
        /// Many accounts were tried from the network the right password came from.
        case credentialStuffing = "risk.credential_stuffing"
        /// The account was used from too many networks or countries in a short time.
        case locationVelocity = "risk.location_velocity"
        /// An operator of the platform restricted it.
        case operatorDecision = "risk.operator"
        /// The owner froze it.
        case owner
    }

    /// A random id.
    public let id: String
    /// The account stopped.
    public let accountId: String
    /// Restricted or frozen.
    public let kind: Kind
    /// Why.
    public let reason: Reason
    /// Who placed it: `risk`, `operator`, `owner`, or a staff id.
    public let placedBy: String
    /// A note for support (an operator's words, the signals risk control saw); never shown to the person.
    public let note: String?
    /// When it was placed.
    public let placedAt: Date
    /// When it was lifted, if it was.
    public var liftedAt: Date?
    /// Who lifted it: `operator` or a staff id.
    public var liftedBy: String?

    /// A restriction record.
    public init(id: String, accountId: String, kind: Kind, reason: Reason, placedBy: String, note: String?,
                placedAt: Date, liftedAt: Date? = nil, liftedBy: String? = nil) {
        self.id = id
        self.accountId = accountId
        self.kind = kind
        self.reason = reason
        self.placedBy = placedBy
        self.note = note
        self.placedAt = placedAt
        self.liftedAt = liftedAt
        self.liftedBy = liftedBy
    }

    /// The reason code of the withdrawal hold it stands for: `account.restricted` or `account.frozen`.
    public var holdReason: String { "account.\(kind.rawValue)" }

    /// The withdrawal hold it stands for while in force, with no end.
    public var hold: SecurityHold {
        SecurityHold(id: id, accountId: accountId, kind: SecurityHold.withdrawal, reason: holdReason, placedAt: placedAt,
                     until: nil)
    }
}

/// Stored restrictions.
public protocol AccountRestrictionStore: Sendable {
    /// Stores `restriction` unless the account has one of its kind in force already; returns
    /// whether it was stored. Two placements racing store one.
    func place(_ restriction: AccountRestriction) async throws -> Bool
    /// The account's restrictions in force, oldest first.
    func active(accountId: String) async throws -> [AccountRestriction]
    /// Lifts the account's restriction of `kind` in force, if any, and returns it lifted.
    func lift(accountId: String, kind: AccountRestriction.Kind, by: String, at: Date) async throws -> AccountRestriction?
}

extension AccountRestrictionStore {
    /// Throws `account.frozen` or `account.restricted` (with its reason) when either is in force
    /// on `accountId`; a freeze answers first, since only support can lift it.
    public func ensureCanSignIn(accountId: String) async throws {
        let active = try await active(accountId: accountId)
        if active.contains(where: { $0.kind == .frozen }) { throw KeywardError.accountFrozen }
        if let restricted = active.first(where: { $0.kind == .restricted }) {
            throw KeywardError.accountRestricted(reason: restricted.reason)
        }
    }
}
