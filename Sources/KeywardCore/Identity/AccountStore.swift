public import Foundation

/// Accounts and the identifiers bound to them.
public protocol AccountStore: Sendable {
    /// The account owning `identifier`, or a new pending account bound to it.
    ///
    /// Safe against two registrations of the same identifier at once: exactly one account is
    /// created and both callers get it.
    func findOrCreatePending(identifier: Identifier, at: Date) async throws -> Account

    /// The account with `id`.
    func find(id: String) async throws -> Account?

    /// The account owning `identifier`.
    func find(identifier: Identifier) async throws -> Account?

    /// Every identifier bound to the account.
    func identifiers(accountId: String) async throws -> [AccountIdentifier]

    /// Turns a pending account active with `passwordHash` and marks `identifier` verified.
    /// Returns `false` (changing nothing) when the account was not pending.
    func activate(accountId: String, identifier: Identifier, passwordHash: String, at: Date) async throws -> Bool

    /// Replaces the stored password hash (a rehash after parameters change, or a new password).
    func updatePasswordHash(accountId: String, passwordHash: String) async throws

    /// Binds a verified `identifier` to the account, replacing `replacing` (the old one of the same
    /// kind) in the same step. An unfinished registration holding the identifier is discarded
    /// (its owner never proved control, and this person just did). Returns `false`, changing
    /// nothing, when an active account owns it.
    func bindIdentifier(_ identifier: Identifier, accountId: String, replacing: Identifier?, at: Date) async throws -> Bool

    /// The account's anti-phishing code, sealed (base64), if set.
    func antiPhishingCode(accountId: String) async throws -> String?

    /// Stores the account's sealed anti-phishing code (`nil` removes it).
    func setAntiPhishingCode(accountId: String, sealed: String?) async throws
}
