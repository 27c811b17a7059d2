public import Foundation
import KeywardCrypto

/// Places and lifts restrictions and freezes, and keeps stopped accounts from signing in. Placing
/// one ends every session and tells the owner on every channel; lifting one tells them too. Both
/// run inside the caller's transaction through ``SecurityEffectsApplier``.
public struct AccountRestrictions: Sendable {
    private let database: any KeywardDatabase
    private let effects: SecurityEffectsApplier
    private let clock: any KeywardClock
    private let links: FreezeLinks?

    /// Restrictions over `database`, applying their effects with `effects`; `links` reads the
    /// freeze links of security notices.
    public init(database: any KeywardDatabase, effects: SecurityEffectsApplier, clock: any KeywardClock,
                links: FreezeLinks? = nil) {
        self.database = database
        self.effects = effects
        self.clock = clock
        self.links = links
    }

    // MARK: Operators

    /// Restricts the account `accountId` for an operator (`risk.operator`), with their `note` for
    /// support; returns the restriction in force and whether it is new. Throws `account.not_found`.
    public func restrictForOperator(accountId: String, note: String?,
                                    origin: RequestOrigin) async throws -> (restriction: AccountRestriction, placed: Bool) {
        let note = try Self.checkedNote(note)
        return try await database.transaction { stores in
            guard try await stores.accounts.find(id: accountId)?.status == .active else { throw KeywardError.accountNotFound }
            return try await place(.restricted, reason: .operatorDecision, by: "operator", note: note, accountId: accountId,
                                   origin: origin, in: stores)
        }
    }

    /// Lifts the restriction of the account `accountId` for an operator. Throws `account.not_found`,
    /// or `restriction.not_found` when none is in force. A freeze is support's to lift, never an
    /// operator's.
    public func liftForOperator(accountId: String, note: String?, origin: RequestOrigin) async throws -> AccountRestriction {
        let note = try Self.checkedNote(note)
        return try await database.transaction { stores in
            guard try await stores.accounts.find(id: accountId)?.status == .active else { throw KeywardError.accountNotFound }
            guard let lifted = try await lift(.restricted, by: "operator", details: note.map { ["note": $0] } ?? [:],
                                              accountId: accountId, origin: origin, in: stores)
            else { throw KeywardError.restrictionNotFound }
            return lifted
        }
    }

    // MARK: Owners

    /// Freezes the signed-in owner's account at once, without re-authentication: the brake must be
    /// quick, and it only stops the account. Every session ends, this one too.
    public func freeze(session: Session, origin: RequestOrigin) async throws -> AccountRestriction {
        try await database.transaction { stores in
            try await place(.frozen, reason: .owner, by: "owner", note: nil, accountId: session.accountId, origin: origin,
                            in: stores).restriction
        }
    }

    /// Whether `token` is a freeze link that still works: neither used nor expired. Reading it
    /// changes nothing.
    public func freezeLinkWorks(token: String) async throws -> Bool {
        guard let links else { return false }
        return try await database.stores.freezeLinks.account(tokenHash: links.hash(token), now: clock.now()) != nil
    }

    /// Freezes the account a security notice's link names, using the link up. Throws
    /// `freeze.link_invalid` for a link unknown, used or expired. A frozen account stays frozen.
    public func freeze(linkToken token: String, origin: RequestOrigin) async throws -> AccountRestriction {
        guard let links else { throw KeywardError.freezeLinkInvalid }
        return try await database.transaction { stores in
            guard let accountId = try await stores.freezeLinks.use(tokenHash: links.hash(token), now: clock.now())
            else { throw KeywardError.freezeLinkInvalid }
            return try await place(.frozen, reason: .owner, by: "owner", note: "from a notice's link", accountId: accountId,
                                   origin: origin, in: stores).restriction
        }
    }

    /// The account's restrictions in force, oldest first.
    public func active(accountId: String) async throws -> [AccountRestriction] {
        try await database.stores.restrictions.active(accountId: accountId)
    }

    /// An operator's note: trimmed, at most 1,000 characters, no control characters; `nil` when empty.
    static func checkedNote(_ raw: String?) throws -> String? {
        guard let text = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        guard text.count <= 1000, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw KeywardError.requestInvalidField("reason") }
        return text
    }

    // MARK: In a transaction

    /// Stops `accountId` with a restriction of `kind` for `reason`, unless one of that kind is in
    /// force already; returns the one in force and whether it is new. Only a new one has effects.
    public func place(_ kind: AccountRestriction.Kind, reason: AccountRestriction.Reason, by placedBy: String,
                      note: String?, accountId: String, origin: RequestOrigin,
                      in stores: any KeywardStores) async throws -> (restriction: AccountRestriction, placed: Bool) {
        let restriction = AccountRestriction(id: SecureRandom.uuid(), accountId: accountId, kind: kind, reason: reason,
                                             placedBy: placedBy, note: note, placedAt: clock.now())
        guard try await stores.restrictions.place(restriction) else {
            guard let existing = try await stores.restrictions.active(accountId: accountId).first(where: { $0.kind == kind })
            else { throw KeywardError.internalError }
            return (existing, false)
        }
        _ = try await effects.apply(SecurityEffects(
            event: kind == .frozen ? .accountFrozen : .accountRestricted,
            details: ["reason": reason.rawValue, "by": placedBy, "restrictionId": restriction.id],
            revocation: .all, notice: .restriction(kind, lifted: false)), accountId: accountId, origin: origin, in: stores)
        return (restriction, true)
    }

    /// Lifts the restriction of `kind` in force on `accountId`; `nil` when there is none.
    public func lift(_ kind: AccountRestriction.Kind, by liftedBy: String, details: [String: String] = [:],
                     accountId: String, origin: RequestOrigin, in stores: any KeywardStores) async throws -> AccountRestriction? {
        guard let lifted = try await stores.restrictions.lift(accountId: accountId, kind: kind, by: liftedBy, at: clock.now())
        else { return nil }
        _ = try await effects.apply(SecurityEffects(
            event: kind == .frozen ? .accountUnfrozen : .accountUnrestricted,
            details: details.merging(["reason": lifted.reason.rawValue, "by": liftedBy, "restrictionId": lifted.id]) { $1 },
            notice: .restriction(kind, lifted: true)), accountId: accountId, origin: origin, in: stores)
        return lifted
    }
}
