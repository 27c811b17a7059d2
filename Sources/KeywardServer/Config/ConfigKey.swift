import Foundation
import HTTPTypes
import KeywardCore
import KeywardDelivery

/// One configuration key: its dotted name (used in the JSON file and `--set`), its environment
/// variable, what it means, and how its text is applied.
public struct ConfigKey: Sendable {
    /// The dotted name, such as `login.revealAccountExistence`.
    public let name: String
    /// The environment variable, such as `KEYWARD_LOGIN_REVEAL_ACCOUNT_EXISTENCE`.
    public let environment: String
    /// What it does and its default.
    public let summary: String
    let apply: @Sendable (inout KeywardConfig, String) throws -> Void

    /// A value that could not be used.
    public struct InvalidValue: Error, CustomStringConvertible, Sendable {
        /// One line naming the key, the value and what is accepted.
        public let description: String
    }

    init(_ name: String, _ environment: String, _ summary: String,
         _ apply: @escaping @Sendable (inout KeywardConfig, String) throws -> Void) {
        self.name = name
        self.environment = environment
        self.summary = summary
        self.apply = apply
    }

    /// Every key Keyward reads.
    public static let all: [ConfigKey] = general + risk

    private static let general: [ConfigKey] = [
        ConfigKey("mode", "KEYWARD_MODE", "development (default) or production") { c, v in
            c.mode = try choice(v, "mode", KeywardConfig.Mode.self) },
        ConfigKey("server.host", "KEYWARD_HOST", "address to listen on (default 127.0.0.1)") { c, v in c.host = v },
        ConfigKey("server.port", "KEYWARD_PORT", "port to listen on (default 8080)") { c, v in
            c.port = try int(v, "server.port", 0...65535) },
        ConfigKey("server.publicURL", "KEYWARD_PUBLIC_URL", "public base URL used in messages (default http://host:port)") { c, v in c.publicURL = v },
        ConfigKey("webauthn.rpID", "KEYWARD_WEBAUTHN_RP_ID", "the domain passkeys are made for: the host of server.publicURL (the default) or a domain it belongs to; changing it later makes every passkey unusable") { c, v in
            c.webAuthn.rpID = v },
        ConfigKey("webauthn.origins", "KEYWARD_WEBAUTHN_ORIGINS", "comma-separated origins passkeys may also be used from besides server.publicURL's, such as apps' (default none)") { c, v in
            c.webAuthn.origins = list(v) },
        ConfigKey("server.trustedProxies", "KEYWARD_TRUSTED_PROXIES", "comma-separated proxy IPs or CIDR ranges whose X-Forwarded-For is believed (default none)") { c, v in
            c.trustedProxies = list(v)
            for entry in c.trustedProxies where IPRange(entry) == nil {
                throw InvalidValue(description: "server.trustedProxies: \(entry) is not an IP address or CIDR range")
            } },
        ConfigKey("server.countryHeader", "KEYWARD_COUNTRY_HEADER", "header in which a trusted proxy names the client's ISO country code, such as CF-IPCountry (default none)") { c, v in
            guard HTTPField.Name(v) != nil else {
                throw InvalidValue(description: "server.countryHeader: \(v) is not a header name")
            }
            c.countryHeader = v },
        ConfigKey("alerts.newSignIn", "KEYWARD_ALERTS_NEW_SIGN_IN", "tell the owner on every channel of a sign-in from a network or country the account is not used from (default true)") { c, v in
            c.newSignInAlerts = try bool(v, "alerts.newSignIn") },
        ConfigKey("server.maxBodyBytes", "KEYWARD_MAX_BODY_BYTES", "largest request body accepted (default 65536)") { c, v in
            c.maxBodyBytes = try int(v, "server.maxBodyBytes", 256...(64 << 20)) },
        ConfigKey("server.idleTimeout", "KEYWARD_IDLE_TIMEOUT", "seconds a connection may stay silent between requests before it is closed (default 30)") { c, v in
            c.idleTimeout = TimeInterval(try int(v, "server.idleTimeout", 1...3600)) },
        ConfigKey("server.headerTimeout", "KEYWARD_HEADER_TIMEOUT", "seconds a request's line and headers may take to arrive in full before the connection is answered 408 and closed (default 10)") { c, v in
            c.headerTimeout = TimeInterval(try int(v, "server.headerTimeout", 1...600)) },
        ConfigKey("server.maxConnections", "KEYWARD_MAX_CONNECTIONS", "connections served at once; more are answered 503 and closed (default 4096; keep it below the process's open-file limit)") { c, v in
            c.maxConnections = try int(v, "server.maxConnections", 1...1_000_000) },
        ConfigKey("server.maxConnectionsPerClient", "KEYWARD_MAX_CONNECTIONS_PER_CLIENT", "connections one client address may hold at once, trusted proxies excepted (default 256)") { c, v in
            c.maxConnectionsPerClient = try int(v, "server.maxConnectionsPerClient", 1...1_000_000) },
        ConfigKey("server.hstsIncludeSubdomains", "KEYWARD_HSTS_INCLUDE_SUBDOMAINS", "in production mode, let Strict-Transport-Security cover subdomains too (default true)") { c, v in
            c.hstsIncludeSubdomains = try bool(v, "server.hstsIncludeSubdomains") },
        ConfigKey("server.logLevel", "KEYWARD_LOG_LEVEL", "trace, debug, info (default), notice, warning, error") { c, v in c.logLevel = v },
        ConfigKey("platform.name", "KEYWARD_PLATFORM_NAME", "name shown in pages and messages (default Keyward)") { c, v in c.platformName = v },
        ConfigKey("storage.dataDir", "KEYWARD_DATA_DIR", "data directory for SQLite and generated keys (default ./.keyward)") { c, v in c.dataDirectory = v },
        ConfigKey("storage.databaseURL", "KEYWARD_DATABASE_URL", "postgres://user:pass@host/db or sqlite:///path (default SQLite in the data directory)") { c, v in c.databaseURL = v },
        ConfigKey("storage.poolSize", "KEYWARD_DATABASE_POOL_SIZE", "PostgreSQL connections at most, in all (default 8)") { c, v in
            c.databasePoolSize = try int(v, "storage.poolSize", 1...256) },
        ConfigKey("keys.hmac", "KEYWARD_HMAC_KEY", "base64 of 32 random bytes keying token and code hashes (default generated into the data directory)") { c, v in
            c.hmacKey = try key(v, "keys.hmac") },
        ConfigKey("keys.sealing", "KEYWARD_SEALING_KEY", "base64 of 32 random bytes sealing secrets at rest (default generated into the data directory)") { c, v in
            c.sealingKey = try key(v, "keys.sealing") },
        ConfigKey("keys.allowGeneratedInProduction", "KEYWARD_ALLOW_GENERATED_KEYS", "let production mode use keys generated into the data directory (default false)") { c, v in
            c.allowGeneratedKeysInProduction = try bool(v, "keys.allowGeneratedInProduction") },
        ConfigKey("operator.apiKeys", "KEYWARD_OPERATOR_API_KEYS", "comma-separated operator API keys for /api/v1/admin (default none)") { c, v in
            c.operatorAPIKeys = list(v) },
        ConfigKey("delivery.developmentMailbox", "KEYWARD_DEVELOPMENT_MAILBOX", "keep messages of every channel with no delivery configured at /dev/mailbox instead of sending them (default: on in development, off in production)") { c, v in
            c.developmentMailbox = try bool(v, "delivery.developmentMailbox") },
        ConfigKey("delivery.allowDevelopmentMailboxInProduction", "KEYWARD_ALLOW_DEVELOPMENT_MAILBOX", "let production mode use the development mailbox (default false)") { c, v in
            c.allowDevelopmentMailboxInProduction = try bool(v, "delivery.allowDevelopmentMailboxInProduction") },
        ConfigKey("delivery.smtp.host", "KEYWARD_SMTP_HOST", "mail server that sends email; its certificate must name this host (default none: email is not sent)") { c, v in
            c.smtp.host = v },
        ConfigKey("delivery.smtp.port", "KEYWARD_SMTP_PORT", "mail server port (default 587, or 465 with delivery.smtp.security=tls)") { c, v in
            c.smtp.port = try int(v, "delivery.smtp.port", 1...65535) },
        ConfigKey("delivery.smtp.security", "KEYWARD_SMTP_SECURITY", "starttls (default; a server without it is refused), tls (implicit TLS), or none (only for a relay on this machine, never with a password)") { c, v in
            c.smtp.security = try choice(v, "delivery.smtp.security", SMTPSettings.Security.self) },
        ConfigKey("delivery.smtp.username", "KEYWARD_SMTP_USERNAME", "login at the mail server, sent only over TLS (default none)") { c, v in
            c.smtp.username = v },
        ConfigKey("delivery.smtp.password", "KEYWARD_SMTP_PASSWORD", "password for delivery.smtp.username (default none)") { c, v in
            c.smtp.password = v },
        ConfigKey("delivery.smtp.from", "KEYWARD_SMTP_FROM", "From of every email, such as 'Example Security <security@example.com>' (required with delivery.smtp.host)") { c, v in
            c.smtp.from = v },
        ConfigKey("delivery.smtp.heloName", "KEYWARD_SMTP_HELO_NAME", "name Keyward gives itself to the mail server (default: the host of server.publicURL)") { c, v in
            c.smtp.heloName = v },
        ConfigKey("delivery.smtp.trustRoots", "KEYWARD_SMTP_TRUST_ROOTS", "PEM file of the certificates that may sign the mail server's, replacing the system's (default: the system's)") { c, v in
            c.smtp.trustRoots = v },
        ConfigKey("delivery.smtp.timeout", "KEYWARD_SMTP_TIMEOUT", "seconds one message's SMTP conversation may take before it is retried later (default 30)") { c, v in
            c.smtp.timeout = TimeInterval(try int(v, "delivery.smtp.timeout", 1...600)) },
        ConfigKey("delivery.sms.webhookURL", "KEYWARD_SMS_WEBHOOK_URL", "SMS gateway endpoint that receives each SMS as a JSON POST {messageId, to, text}; https, or http only to this machine (default none: SMS is not sent)") { c, v in
            c.sms.url = v },
        ConfigKey("delivery.sms.webhookToken", "KEYWARD_SMS_WEBHOOK_TOKEN", "bearer token sent to the SMS gateway (default none)") { c, v in
            c.sms.token = v },
        ConfigKey("delivery.sms.timeout", "KEYWARD_SMS_TIMEOUT", "seconds one SMS request may take before it is retried later (default 15)") { c, v in
            c.sms.timeout = TimeInterval(try int(v, "delivery.sms.timeout", 1...300)) },
        ConfigKey("password.policy", "KEYWARD_PASSWORD_POLICY", "exchange (default: 8-128 characters, upper, lower, digit) or nist (15+ characters)") { c, v in
            c.passwordPolicy = try choice(v, "password.policy", PasswordPolicy.Preset.self) },
        ConfigKey("password.argon2.memoryKiB", "KEYWARD_ARGON2_MEMORY_KIB", "Argon2id memory in KiB (default 19456)") { c, v in
            c.argon2MemoryKiB = try int(v, "password.argon2.memoryKiB", 8...(4 << 20)) },
        ConfigKey("password.argon2.iterations", "KEYWARD_ARGON2_ITERATIONS", "Argon2id passes (default 2)") { c, v in
            c.argon2Iterations = try int(v, "password.argon2.iterations", 1...64) },
        ConfigKey("password.argon2.parallelism", "KEYWARD_ARGON2_PARALLELISM", "Argon2id lanes (default 1)") { c, v in
            c.argon2Parallelism = try int(v, "password.argon2.parallelism", 1...16) },
        ConfigKey("password.hashingThreads", "KEYWARD_HASHING_THREADS", "threads that hash passwords (default one per core)") { c, v in
            c.hashingThreads = try int(v, "password.hashingThreads", 1...256) },
        ConfigKey("password.hashingQueueLimit", "KEYWARD_HASHING_QUEUE_LIMIT", "hash jobs that may wait before answering 503 (default 64)") { c, v in
            c.hashingQueueLimit = try int(v, "password.hashingQueueLimit", 1...100_000) },
        ConfigKey("login.revealAccountExistence", "KEYWARD_LOGIN_REVEAL_ACCOUNT_EXISTENCE", "say 'account does not exist' (true, default) or answer every failure alike (false)") { c, v in
            c.revealAccountExistence = try bool(v, "login.revealAccountExistence") },
        ConfigKey("session.idleTimeout", "KEYWARD_SESSION_IDLE_TIMEOUT", "seconds of inactivity that end a session (default 86400)") { c, v in
            c.sessionIdleTimeout = TimeInterval(try int(v, "session.idleTimeout", 60...(365 * 86400))) },
        ConfigKey("session.absoluteLifetime", "KEYWARD_SESSION_ABSOLUTE_LIFETIME", "seconds after sign-in that end a session (default 2592000)") { c, v in
            c.sessionAbsoluteLifetime = TimeInterval(try int(v, "session.absoluteLifetime", 60...(3650 * 86400))) },
        ConfigKey("login.strictFailureFloor", "KEYWARD_LOGIN_STRICT_FAILURE_FLOOR_MS", "in strict mode, milliseconds a failed sign-in takes at least, hiding timing differences (default 250)") { c, v in
            c.strictFailureFloor = TimeInterval(try int(v, "login.strictFailureFloor", 0...10_000)) / 1000 },
        ConfigKey("lockout.maxFailures", "KEYWARD_LOCKOUT_MAX_FAILURES", "consecutive wrong passwords that lock the account (default 5)") { c, v in
            c.lockout.maxFailures = try int(v, "lockout.maxFailures", 1...1000) },
        ConfigKey("lockout.window", "KEYWARD_LOCKOUT_WINDOW", "seconds after which failures are forgotten (default 86400)") { c, v in
            c.lockout.window = TimeInterval(try int(v, "lockout.window", 60...(30 * 86400))) },
        ConfigKey("lockout.duration", "KEYWARD_LOCKOUT_DURATION", "seconds a lock lasts; each attempt during it restarts it (default 7200)") { c, v in
            c.lockout.duration = TimeInterval(try int(v, "lockout.duration", 1...(30 * 86400))) },
        ConfigKey("lockout.scope", "KEYWARD_LOCKOUT_SCOPE", "account (default: every failure counts toward one lock) or device (a device that signed in before keeps its own count, so strangers cannot lock the owner out; it also gets its own allowance of guesses)") { c, v in
            c.lockout.scope = try choice(v, "lockout.scope", LockoutSettings.Scope.self) },
        ConfigKey("rateLimit.codesPerDestination", "KEYWARD_RATE_CODES_PER_DESTINATION", "codes to one email or phone, as count/seconds pairs (default 5/3600,10/86400; plus the resend interval)") { c, v in
            c.rateLimits.codesPerDestination = try limits(v, "rateLimit.codesPerDestination") },
        ConfigKey("rateLimit.codesPerIP", "KEYWARD_RATE_CODES_PER_IP", "codes requested from one client IP (default 5/60,30/3600,100/86400)") { c, v in
            c.rateLimits.codesPerIP = try limits(v, "rateLimit.codesPerIP") },
        ConfigKey("rateLimit.codesPerAccount", "KEYWARD_RATE_CODES_PER_ACCOUNT", "codes for one account (default 5/3600,10/86400)") { c, v in
            c.rateLimits.codesPerAccount = try limits(v, "rateLimit.codesPerAccount") },
        ConfigKey("rateLimit.signInsPerIP", "KEYWARD_RATE_SIGNINS_PER_IP", "sign-in attempts from one client IP, checked before any hashing (default 30/60)") { c, v in
            c.rateLimits.signInsPerIP = try limits(v, "rateLimit.signInsPerIP") },
        ConfigKey("rateLimit.signInsPerIdentifier", "KEYWARD_RATE_SIGNINS_PER_IDENTIFIER", "sign-in attempts naming one email or phone (default 10/60)") { c, v in
            c.rateLimits.signInsPerIdentifier = try limits(v, "rateLimit.signInsPerIdentifier") },
        ConfigKey("recovery.maxCodeFailures", "KEYWARD_RECOVERY_MAX_CODE_FAILURES", "wrong recovery codes per account within the lockout window before recovery pauses (default 20)") { c, v in
            c.recoveryMaxCodeFailures = try int(v, "recovery.maxCodeFailures", 1...1000) },
        ConfigKey("holds.afterPasswordReset", "KEYWARD_HOLD_AFTER_PASSWORD_RESET", "seconds withdrawals are held after a password reset (default 86400; 0 for none)") { c, v in
            c.holdAfterPasswordReset = TimeInterval(try int(v, "holds.afterPasswordReset", 0...(365 * 86400))) },
        ConfigKey("holds.afterPasswordChange", "KEYWARD_HOLD_AFTER_PASSWORD_CHANGE", "seconds withdrawals are held after a password change in the settings (default 86400; 0 for none)") { c, v in
            c.changeHolds.afterPasswordChange = TimeInterval(try int(v, "holds.afterPasswordChange", 0...(365 * 86400))) },
        ConfigKey("holds.afterAuthenticatorChange", "KEYWARD_HOLD_AFTER_AUTHENTICATOR_CHANGE", "seconds withdrawals are held after an authenticator is bound, replaced or removed (default 86400; 0 for none)") { c, v in
            c.changeHolds.afterAuthenticatorChange = TimeInterval(try int(v, "holds.afterAuthenticatorChange", 0...(365 * 86400))) },
        ConfigKey("holds.afterContactChange", "KEYWARD_HOLD_AFTER_CONTACT_CHANGE", "seconds withdrawals are held after the phone number or email address changes (default 86400; 0 for none)") { c, v in
            c.changeHolds.afterContactChange = TimeInterval(try int(v, "holds.afterContactChange", 0...(365 * 86400))) },
        ConfigKey("support.fourEyes", "KEYWARD_SUPPORT_FOUR_EYES", "whether support's dangerous actions (authenticator reset, phone or email replacement, unfreezing) need a second member of staff, a reviewer or admin, to approve them (default true)") { c, v in
            c.supportFourEyes = try bool(v, "support.fourEyes") },
        ConfigKey("holds.afterSupportReset", "KEYWARD_HOLD_AFTER_SUPPORT_RESET", "seconds withdrawals are held after support resets a second factor or replaces a phone number or email address (default 172800; 0 for none)") { c, v in
            c.changeHolds.afterSupportReset = TimeInterval(try int(v, "holds.afterSupportReset", 0...(365 * 86400))) },
        ConfigKey("support.maxDocumentBytes", "KEYWARD_SUPPORT_MAX_DOCUMENT_BYTES", "largest identity document a person may upload to a case, in bytes (default 10485760)") { c, v in
            c.support.maxDocumentBytes = try int(v, "support.maxDocumentBytes", 1024...(64 << 20)) },
        ConfigKey("support.maxDocuments", "KEYWARD_SUPPORT_MAX_DOCUMENTS", "documents one case may hold (default 10)") { c, v in
            c.support.maxDocuments = try int(v, "support.maxDocuments", 1...50) },
        ConfigKey("support.responseHours", "KEYWARD_SUPPORT_RESPONSE_HOURS", "hours support has to answer a case once it is sent for review (default 48)") { c, v in
            c.support.responseHours = try int(v, "support.responseHours", 1...(24 * 30)) },
        ConfigKey("support.documentRetentionDays", "KEYWARD_SUPPORT_DOCUMENT_RETENTION_DAYS", "days a closed case's documents are kept before their content is erased (default 90)") { c, v in
            c.support.documentRetentionDays = try int(v, "support.documentRetentionDays", 1...3650) },
        ConfigKey("support.casesPerAccountPerDay", "KEYWARD_SUPPORT_CASES_PER_ACCOUNT_PER_DAY", "support cases one account may open in a day (default 5)") { c, v in
            c.support.casesPerAccountPerDay = try int(v, "support.casesPerAccountPerDay", 1...100) },
        ConfigKey("totp.secretBytes", "KEYWARD_TOTP_SECRET_BYTES", "bytes of authenticator secret, 10 to 64: 20 (default, 160 bits, 32 base32 characters); 10 gives the 16-character keys some apps expect but falls below the 128 bits RFC 4226 requires") { c, v in
            c.authenticator.secretBytes = try int(v, "totp.secretBytes", 10...64) },
        ConfigKey("totp.window", "KEYWARD_TOTP_WINDOW", "30-second steps before and after now whose authenticator codes are accepted (default 1)") { c, v in
            c.authenticator.window = try int(v, "totp.window", 0...10) },
        ConfigKey("totp.issuer", "KEYWARD_TOTP_ISSUER", "issuer name authenticator apps show (default: platform.name)") { c, v in
            c.authenticator.issuer = v },
        ConfigKey("login.flowLifetime", "KEYWARD_LOGIN_FLOW_LIFETIME", "seconds the second step of a sign-in may take (default 600)") { c, v in
            c.loginFlowLifetime = TimeInterval(try int(v, "login.flowLifetime", 60...3600)) },
        ConfigKey("reauth.freshness", "KEYWARD_REAUTH_FRESHNESS", "seconds after entering password and second factor during which sensitive changes are allowed (default 300)") { c, v in
            c.reauthFreshness = TimeInterval(try int(v, "reauth.freshness", 30...3600)) },
        ConfigKey("code.lifetime", "KEYWARD_CODE_LIFETIME", "seconds a one-time code works (default 600)") { c, v in
            c.codeLifetime = TimeInterval(try int(v, "code.lifetime", 60...86400)) },
        ConfigKey("code.maxAttempts", "KEYWARD_CODE_MAX_ATTEMPTS", "wrong entries before a code dies (default 5)") { c, v in
            c.codeMaxAttempts = try int(v, "code.maxAttempts", 1...20) },
        ConfigKey("code.resendInterval", "KEYWARD_CODE_RESEND_INTERVAL", "seconds between two codes to one destination (default 60)") { c, v in
            c.codeResendInterval = TimeInterval(try int(v, "code.resendInterval", 1...3600)) },
    ]

    static func int(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw InvalidValue(description: "\(name): \(text) is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func bool(_ text: String, _ name: String) throws -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw InvalidValue(description: "\(name): \(text) is not true or false")
        }
    }

    static func choice<T: RawRepresentable & CaseIterable>(_ text: String, _ name: String, _ type: T.Type) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: text.lowercased()) else {
            let options = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw InvalidValue(description: "\(name): \(text) is not one of \(options)")
        }
        return value
    }

    private static func key(_ text: String, _ name: String) throws -> String {
        guard let data = Data(base64Encoded: text), data.count == 32 else {
            throw InvalidValue(description: "\(name): expected base64 of exactly 32 bytes (for example: openssl rand -base64 32)")
        }
        return text
    }

    private static func limits(_ text: String, _ name: String) throws -> [RateLimit] {
        try list(text).map { entry in
            let parts = entry.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let count = parts[0], let seconds = parts[1], count >= 1, seconds >= 1 else {
                throw InvalidValue(description: "\(name): \(entry) is not count/seconds, for example 5/3600")
            }
            return RateLimit(count, per: TimeInterval(seconds))
        }
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

extension KeywardConfig {
    /// Applies `value` to the key called `name` (dotted) or to the key whose environment variable is `name`.
    public mutating func set(_ name: String, to value: String) throws {
        guard let key = ConfigKey.all.first(where: { $0.name == name || $0.environment == name }) else {
            throw ConfigKey.InvalidValue(description: "unknown configuration key \(name); `keyward config` lists them")
        }
        try key.apply(&self, value)
    }

    /// Applies every `KEYWARD_*` variable of `environment` that names a key.
    public mutating func apply(environment: [String: String]) throws {
        for key in ConfigKey.all {
            if let value = environment[key.environment] { try key.apply(&self, value) }
        }
    }

    /// Applies a JSON file of dotted keys to values (strings, numbers or booleans).
    public mutating func apply(file path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigKey.InvalidValue(description: "config file \(path) could not be read: \(error.localizedDescription)")
        }
        guard let object = try? JSONDecoder().decode([String: FileValue].self, from: data) else {
            throw ConfigKey.InvalidValue(description: "config file \(path) is not a JSON object of \"key\": value pairs (strings, numbers, booleans or lists)")
        }
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            let text = value.text
            try set(name, to: text)
        }
    }
}

/// A value in the JSON config file.
private enum FileValue: Decodable {
    case bool(Bool), int(Int), double(Double), string(String), list([String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else { self = .list(try container.decode([String].self)) }
    }

    var text: String {
        switch self {
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .string(let value): return value
        case .list(let values): return values.joined(separator: ",")
        }
    }
}
