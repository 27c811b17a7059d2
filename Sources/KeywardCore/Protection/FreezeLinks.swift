public import Foundation
public import KeywardCrypto

/// Stored freeze links, by the keyed hash of their token.
public protocol FreezeLinkStore: Sendable {
    /// Stores a link to freeze `accountId`, good until `expiresAt`.
    func insert(tokenHash: String, accountId: String, at: Date, expiresAt: Date) async throws
    /// The account a link that is neither used nor expired at `now` freezes, if any.
    func account(tokenHash: String, now: Date) async throws -> String?
    /// Uses up the link (once, even for requests racing) and returns the account it freezes; `nil`
    /// for a link unknown, used or expired.
    func use(tokenHash: String, now: Date) async throws -> String?
    /// Deletes links that expired before `now`; returns how many.
    func deleteExpired(now: Date) async throws -> Int
}

/// The "this wasn't me" link security notices carry: `<public URL>/freeze/<token>`, a random
/// 256-bit token stored keyed-hashed, single use, lasting `lifetime` (7 days). Following it asks
/// first; confirming freezes the account (``AccountRestrictions/freeze(linkToken:origin:)``).
public struct FreezeLinks: Sendable {
    /// The key purpose of the token hashes.
    static let purpose = "freeze-link"

    private let hasher: KeyedHasher
    private let clock: any KeywardClock
    /// Where links point, without a trailing slash.
    public let baseURL: String
    /// How long a link works.
    public let lifetime: TimeInterval

    /// Links to `baseURL`/freeze/…, lasting `lifetime`.
    public init(hasher: KeyedHasher, clock: any KeywardClock, baseURL: String, lifetime: TimeInterval = 7 * 86400) {
        self.hasher = hasher
        self.clock = clock
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.lifetime = lifetime
    }

    /// Makes a new link for `accountId` in `stores` and returns its address.
    public func issue(accountId: String, in stores: any KeywardStores) async throws -> String {
        let token = SecureRandom.token(), now = clock.now()
        try await stores.freezeLinks.insert(tokenHash: hash(token), accountId: accountId, at: now,
                                            expiresAt: now.addingTimeInterval(lifetime))
        return "\(baseURL)/freeze/\(token)"
    }

    /// The keyed hash a token is stored as.
    func hash(_ token: String) -> String {
        hasher.hash(token, purpose: Self.purpose)
    }
}
