public import Foundation

/// A passkey (a WebAuthn public-key credential) registered to an account.
public struct Passkey: Sendable, Equatable {
    /// A random id, used in the API's paths.
    public let id: String
    /// The account it signs in to.
    public let accountId: String
    /// The credential id the authenticator chose (unique across every account).
    public let credentialId: [UInt8]
    /// The COSE_Key encoding of its public key.
    public let publicKey: [UInt8]
    /// The key's COSE algorithm identifier (-7 ES256, -8 EdDSA, -257 RS256).
    public let algorithm: Int
    /// The last signature counter seen; 0 when the authenticator keeps none.
    public var signCount: UInt32
    /// How the browser said it can reach the authenticator (`internal`, `hybrid`, `usb`, …).
    public let transports: [String]
    /// Whether the credential may be synced to other devices.
    public let backupEligible: Bool
    /// Whether it was backed up when last used.
    public var backedUp: Bool
    /// The name the owner gave it.
    public var name: String
    /// When it was registered.
    public let createdAt: Date
    /// When it last signed in or confirmed a change.
    public var lastUsedAt: Date?

    /// A passkey record.
    public init(id: String, accountId: String, credentialId: [UInt8], publicKey: [UInt8], algorithm: Int,
                signCount: UInt32, transports: [String], backupEligible: Bool, backedUp: Bool, name: String,
                createdAt: Date, lastUsedAt: Date?) {
        self.id = id
        self.accountId = accountId
        self.credentialId = credentialId
        self.publicKey = publicKey
        self.algorithm = algorithm
        self.signCount = signCount
        self.transports = transports
        self.backupEligible = backupEligible
        self.backedUp = backedUp
        self.name = name
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// Stored passkeys.
public protocol PasskeyStore: Sendable {
    /// Stores a new passkey; `false` (and nothing stored) when its credential id is registered already.
    func insert(_ passkey: Passkey) async throws -> Bool

    /// The account's passkeys, oldest first.
    func list(accountId: String) async throws -> [Passkey]

    /// How many passkeys the account has.
    func count(accountId: String) async throws -> Int

    /// The passkey with this credential id, whichever account holds it.
    func find(credentialId: [UInt8]) async throws -> Passkey?

    /// The account's passkey `id`.
    func find(id: String, accountId: String) async throws -> Passkey?

    /// Renames the account's passkey `id`; `false` when it has none with that id.
    func rename(id: String, accountId: String, name: String) async throws -> Bool

    /// Removes the account's passkey `id`; `false` when it has none with that id.
    func delete(id: String, accountId: String) async throws -> Bool

    /// Records a use: the new counter, backup state and time, only while the stored counter is below
    /// `signCount` (or both are 0, for authenticators that keep no counter). `false` when another use
    /// got there first or the counter did not advance.
    func recordUse(id: String, signCount: UInt32, backedUp: Bool, at: Date) async throws -> Bool
}
