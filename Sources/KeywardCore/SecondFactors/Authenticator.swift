public import Foundation

/// An authenticator app bound (or being bound) to an account: the TOTP secret, sealed.
public struct Authenticator: Sendable, Equatable {
    /// Where enrolment stands.
    public enum State: String, Sendable {
        /// Shown to the person, not yet confirmed with a code; it does not protect anything yet.
        case pending
        /// Confirmed; required at sign-in.
        case active
    }

    /// A random id, also bound into the sealing context.
    public let id: String
    /// The account it belongs to.
    public let accountId: String
    /// Pending or active.
    public var state: State
    /// The secret sealed with AES-GCM under the server's sealing key (base64).
    public let sealedSecret: String
    /// The last time step whose code was accepted; no code of this step or an earlier one is
    /// accepted again.
    public var lastUsedStep: Int64?
    /// When enrolment began.
    public let createdAt: Date
    /// When the first code confirmed it.
    public var confirmedAt: Date?

    /// An authenticator record.
    public init(id: String, accountId: String, state: State, sealedSecret: String, lastUsedStep: Int64?,
                createdAt: Date, confirmedAt: Date?) {
        self.id = id
        self.accountId = accountId
        self.state = state
        self.sealedSecret = sealedSecret
        self.lastUsedStep = lastUsedStep
        self.createdAt = createdAt
        self.confirmedAt = confirmedAt
    }
}

/// Stored authenticators: at most one active and one pending per account.
public protocol AuthenticatorStore: Sendable {
    /// Stores a pending enrolment, replacing any earlier pending one of the account.
    func insertPending(_ authenticator: Authenticator) async throws

    /// The account's authenticator in `state`.
    func find(accountId: String, state: Authenticator.State) async throws -> Authenticator?

    /// Atomically records that the code of `step` was used, only if no code of this step or a
    /// later one was used before; `false` means a replay.
    func claimStep(id: String, step: Int64) async throws -> Bool

    /// Makes the pending authenticator `id` the account's active one, removing the one it replaces;
    /// `false` when it is no longer pending.
    func activate(id: String, accountId: String, at: Date) async throws -> Bool

    /// Removes every authenticator of the account, pending or active; returns how many.
    func removeAll(accountId: String) async throws -> Int
}

/// The rules for authenticator apps.
public struct AuthenticatorSettings: Sendable, Equatable {
    /// Bytes of secret generated (default 20, i.e. 160 bits and 32 base32 characters; 10 gives the
    /// 16-character keys some authenticators expect).
    public var secretBytes: Int
    /// Steps before and after the current one whose codes are accepted (default 1: ±30 s).
    public var window: Int
    /// The issuer shown in the authenticator app (default: the platform's name).
    public var issuer: String
    /// How long an enrolment may wait for its confirming code (default 15 minutes).
    public var enrolmentLifetime: TimeInterval

    /// Settings with explicit values.
    public init(secretBytes: Int = 20, window: Int = 1, issuer: String = "Keyward", enrolmentLifetime: TimeInterval = 900) {
        self.secretBytes = secretBytes
        self.window = window
        self.issuer = issuer
        self.enrolmentLifetime = enrolmentLifetime
    }
}
