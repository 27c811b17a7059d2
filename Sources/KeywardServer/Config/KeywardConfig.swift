public import Foundation
public import KeywardCore

/// Everything Keyward can be told, with defaults that run locally.
///
/// Read from, in increasing precedence: the defaults below, an optional JSON file
/// (`--config`), environment variables (`KEYWARD_*`), and the command line. ``ConfigKey/all``
/// lists every key with its environment variable and meaning.
public struct KeywardConfig: Sendable {
    /// Whether this is a developer's machine or a real deployment.
    public enum Mode: String, Sendable, CaseIterable {
        /// Development mailbox on, keys may be generated.
        case development
        /// Refuses insecure defaults unless explicitly allowed.
        case production
    }

    /// development or production.
    public var mode: Mode = .development
    /// Address to listen on.
    public var host: String = "127.0.0.1"
    /// Port to listen on.
    public var port: Int = 8080
    /// Where the SQLite database and generated keys live (created with mode 0700).
    public var dataDirectory: String = ".keyward"
    /// `postgres://…`, `sqlite:///path`, or `nil` for SQLite in the data directory.
    public var databaseURL: String?
    /// PostgreSQL connections at most, in all.
    public var databasePoolSize: Int = 8
    /// Name shown in pages and messages.
    public var platformName: String = "Keyward"
    /// The public base URL, used in messages; defaults to `http://host:port`.
    public var publicURL: String?
    /// Passkey settings.
    public var webAuthn = WebAuthnOptions()

    /// Keep outgoing messages in the development mailbox instead of sending them.
    public var developmentMailbox: Bool?
    /// The mail server email goes through.
    public var smtp = SMTPOptions()
    /// The SMS gateway SMS goes to.
    public var sms = SMSWebhookOptions()
    /// Allow the development mailbox in production mode.
    public var allowDevelopmentMailboxInProduction = false
    /// Allow keys generated into the data directory in production mode.
    public var allowGeneratedKeysInProduction = false
    /// The 32-byte server HMAC key, base64; generated into the data directory when absent.
    public var hmacKey: String?
    /// The 32-byte key-encryption key for sealed secrets, base64; generated when absent.
    public var sealingKey: String?
    /// Operator API keys, accepted as `Authorization: Bearer` on `/api/v1/admin`.
    public var operatorAPIKeys: [String] = []

    /// exchange or nist.
    public var passwordPolicy: PasswordPolicy.Preset = .exchange
    /// Argon2id memory in KiB.
    public var argon2MemoryKiB: Int = 19456
    /// Argon2id passes.
    public var argon2Iterations: Int = 2
    /// Argon2id lanes.
    public var argon2Parallelism: Int = 1
    /// Threads that hash passwords (default: one per core).
    public var hashingThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Hash jobs allowed to wait before the server answers 503.
    public var hashingQueueLimit: Int = 64

    /// Whether sign-in says "account does not exist" (true) or answers every failure alike (false).
    public var revealAccountExistence = true
    /// Session idle timeout in seconds.
    public var sessionIdleTimeout: TimeInterval = 24 * 3600
    /// Session absolute lifetime in seconds.
    public var sessionAbsoluteLifetime: TimeInterval = 30 * 24 * 3600

    /// Digits in a one-time code.
    public var codeDigits = 6
    /// One-time code lifetime in seconds.
    public var codeLifetime: TimeInterval = 600
    /// Wrong entries before a code dies.
    public var codeMaxAttempts = 5
    /// Seconds between two codes to one destination.
    public var codeResendInterval: TimeInterval = 60

    /// Lockout after wrong passwords.
    public var lockout = LockoutSettings()
    /// Rate limits on sign-ins and code sends.
    public var rateLimits = RateLimitSettings()
    /// Wrong recovery codes per account within the lockout window before recovery pauses.
    public var recoveryMaxCodeFailures = 20
    /// Seconds withdrawals are held after a password reset (0: no hold).
    public var holdAfterPasswordReset: TimeInterval = 24 * 3600
    /// Withdrawal holds after changes made in the security settings.
    public var changeHolds = ChangeHoldSettings()
    /// The support desk's limits: document size and count, answer time, document retention.
    public var support = SupportSettings()
    /// Whether support's dangerous actions need a second member of staff.
    public var supportFourEyes = true
    /// Risk control's thresholds and whether it acts.
    public var risk = RiskSettings()
    /// Authenticator apps: secret length, drift window, issuer (empty: the platform's name).
    public var authenticator = AuthenticatorSettings(issuer: "")
    /// Seconds the second step of a sign-in may take.
    public var loginFlowLifetime: TimeInterval = 600
    /// Seconds a re-authentication allows sensitive changes.
    public var reauthFreshness: TimeInterval = 300
    /// In strict mode, the least time (seconds) a failed sign-in takes to answer, so that answers
    /// for unknown, locked and existing accounts cannot be told apart by timing.
    public var strictFailureFloor: TimeInterval = 0.25

    /// Proxies whose `X-Forwarded-For` is believed (IP addresses or CIDR ranges).
    public var trustedProxies: [String] = []
    /// The header in which a trusted proxy names the client's country (such as `CF-IPCountry`).
    public var countryHeader: String?
    /// Whether a sign-in from a network or country the account is not used from is told to the owner.
    public var newSignInAlerts = true
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes = 65536
    /// Seconds a connection may stay silent between requests before it is closed.
    public var idleTimeout: TimeInterval = 30
    /// Seconds a request's line and headers may take to arrive in full.
    public var headerTimeout: TimeInterval = 10
    /// Connections served at once; more are answered 503 and closed.
    public var maxConnections = 4096
    /// Connections one client address may hold at once (trusted proxies excepted).
    public var maxConnectionsPerClient = 256
    /// Whether the production `Strict-Transport-Security` header covers subdomains too.
    public var hstsIncludeSubdomains = true
    /// Log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"

    /// The defaults.
    public init() {}

    /// Whether the development mailbox is on: explicitly set, or by mode.
    public var usesDevelopmentMailbox: Bool { developmentMailbox ?? (mode == .development) }

    /// The database URL in force.
    public var effectiveDatabaseURL: String {
        databaseURL ?? "sqlite://" + URL(fileURLWithPath: dataDirectory).appendingPathComponent("keyward.sqlite").path
    }

    /// The authenticator settings in force (the issuer defaults to the platform's name).
    public var effectiveAuthenticator: AuthenticatorSettings {
        var settings = authenticator
        if settings.issuer.isEmpty { settings.issuer = platformName }
        return settings
    }

    /// The base URL in force.
    public var effectivePublicURL: String { publicURL ?? "http://\(host):\(port)" }
}
