/// Every store, bound to one database session: either autocommit or one open transaction.
public protocol KeywardStores: Sendable {
    /// Accounts and identifiers.
    var accounts: any AccountStore { get }
    /// Multi-step flows.
    var flows: any FlowStore { get }
    /// One-time codes.
    var codes: any VerificationCodeStore { get }
    /// Sessions.
    var sessions: any SessionStore { get }
    /// Messages waiting to be delivered.
    var outbox: any OutboxStore { get }
    /// The security audit trail.
    var audit: any AuditStore { get }
    /// Messages kept by the development mailbox.
    var mailbox: any DevelopmentMailboxStore { get }
    /// Fixed-window rate-limit counters.
    var rateLimits: any RateLimitStore { get }
    /// Wrong-guess counters and locks, one per ``GuessScope``.
    var guesses: any GuessCounterStore { get }
    /// Security holds.
    var holds: any SecurityHoldStore { get }
    /// Restrictions and freezes of accounts.
    var restrictions: any AccountRestrictionStore { get }
    /// The "this wasn't me" links of security notices.
    var freezeLinks: any FreezeLinkStore { get }
    /// Sign-in attempts as risk control counts them, and its evaluations.
    var risk: any RiskStore { get }
    /// Devices that signed in before.
    var devices: any KnownDeviceStore { get }
    /// Networks and countries each account has signed in from.
    var locations: any KnownLocationStore { get }
    /// Authenticator apps, their sealed secrets and last used steps.
    var authenticators: any AuthenticatorStore { get }
    /// Recovery codes, as keyed hashes.
    var recoveryCodes: any RecoveryCodeStore { get }
    /// Passkeys.
    var passkeys: any PasskeyStore { get }
    /// Support cases, their threads and documents.
    var cases: any SupportCaseStore { get }
    /// Support staff, their enrolment links and sessions.
    var staff: any StaffStore { get }
}

/// The database behind every store.
///
/// Work that must happen together (an event and the message it causes, a code check and the
/// account change it allows) runs inside ``transaction(_:)``: all of it commits or none of it does.
public protocol KeywardDatabase: Sendable {
    /// Stores that commit each statement on its own.
    var stores: any KeywardStores { get }

    /// Runs `body` in one transaction, committing when it returns and rolling back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any KeywardStores) async throws -> T) async throws -> T

    /// Whether the database answers and every known migration is applied.
    func isReady() async -> Bool
}
