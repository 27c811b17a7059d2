public import Hummingbird
public import KeywardCore
import KeywardCrypto
import KeywardDelivery
import KeywardStorage
public import Logging
import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import ServiceLifecycle

/// The parts of a running Keyward, built once by ``buildApplication(config:clock:)``.
public struct KeywardServices: Sendable {
    /// The database.
    public let database: any KeywardDatabase
    /// Registration.
    public let registrations: RegistrationService
    /// Password sign-in.
    public let signIns: SignInService
    /// Sessions.
    public let sessions: SessionService
    /// Forgotten-password recovery.
    public let recoveries: RecoveryService
    /// Re-authentication before sensitive changes.
    public let reauthentication: ReauthenticationService
    /// Password, authenticator and anti-phishing settings.
    public let settings: SecuritySettingsService
    /// Phone number and email address changes.
    public let contacts: ContactChangeService
    /// Passkeys in the security settings.
    public let passkeys: PasskeySettingsService
    /// Sign-in with a passkey alone.
    public let passkeySignIns: PasskeySignInService
    /// Identifiers, holds and activity of accounts, for pages and the API.
    public let accounts: AccountActivityService
    /// The person's side of the support desk.
    public let cases: SupportCaseService
    /// The staff side of the support desk.
    public let desk: SupportDeskService
    /// Support staff and their sessions.
    public let staff: StaffService
    /// Restrictions and freezes of accounts.
    public let restrictions: AccountRestrictions
    /// "Can't sign in?": what stands between a person and their account, once they prove the identifier.
    public let help: SignInHelpService
    /// The configuration in force.
    public let config: KeywardConfig
    /// The clock every service reads.
    public let clock: any KeywardClock
}

/// Checks the configuration for production: refuses the development mailbox and generated keys
/// unless explicitly allowed. Returns the one-line reason to refuse, or `nil`.
public func productionRefusal(config: KeywardConfig, keysGenerated: Bool) -> String? {
    guard config.mode == .production else { return nil }
    if config.usesDevelopmentMailbox && !config.allowDevelopmentMailboxInProduction {
        return "refusing to start in production mode with the development mailbox: configure delivery, or set KEYWARD_ALLOW_DEVELOPMENT_MAILBOX=true to accept that messages are only kept at /dev/mailbox"
    }
    if keysGenerated && !config.allowGeneratedKeysInProduction {
        return "refusing to start in production mode with keys generated into the data directory: set KEYWARD_HMAC_KEY and KEYWARD_SEALING_KEY (openssl rand -base64 32 each), or KEYWARD_ALLOW_GENERATED_KEYS=true"
    }
    return nil
}

/// Prepares the data directory (mode 0700) when SQLite or generated keys need it.
func prepareDataDirectory(_ path: String) throws {
    let manager = FileManager.default
    if !manager.fileExists(atPath: path) {
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}

/// Builds the whole server from `config`: opens and migrates the database, loads or generates
/// keys, starts the hashing pool, and wires every controller, middleware and background service.
/// This is the only place where the parts are put together; `keyward serve` and the tests both
/// call it.
public func buildApplication(
    config: KeywardConfig, clock: any KeywardClock = SystemClock(), logger: Logger? = nil
) async throws -> (application: some ApplicationProtocol, services: KeywardServices) {
    var logger = logger ?? Logger(label: "keyward")
    logger.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info

    try prepareDataDirectory(config.dataDirectory)
    let keys = try ServerKeys.load(config: config)
    if let refusal = productionRefusal(config: config, keysGenerated: keys.generated) {
        throw StartupError(refusal)
    }
    let database = try await DatabaseConnector.open(url: config.effectiveDatabaseURL, logger: logger,
                                                    postgresConnections: config.databasePoolSize)
    do {
        return try await assemble(config: config, keys: keys, database: database, clock: clock, logger: logger)
    } catch {
        try? await database.close()
        throw error
    }
}

/// Wires the parts over an open database.
private func assemble(
    config: KeywardConfig, keys: ServerKeys, database: SQLKeywardDatabase, clock: any KeywardClock, logger: Logger
) async throws -> (application: some ApplicationProtocol, services: KeywardServices) {
    try await database.migrate()

    let hasher = KeyedHasher(key: keys.hmac)
    let parameters = Argon2id.Parameters(memoryKiB: config.argon2MemoryKiB, iterations: config.argon2Iterations,
                                         parallelism: config.argon2Parallelism, tagLength: 32)
    let passwords = PasswordHasherPool(threadCount: config.hashingThreads, queueLimit: config.hashingQueueLimit,
                                       parameters: parameters)
    let sessions = SessionService(
        database: database, hasher: hasher, clock: clock,
        settings: SessionSettings(idleTimeout: config.sessionIdleTimeout, absoluteLifetime: config.sessionAbsoluteLifetime))
    let sealer = Sealer(key: keys.sealing)
    let smtpSettings = try config.smtpSettings()
    let smsSettings = try config.smsWebhookSettings()
    // Only messages the development mailbox receives keep their code beside the sealed text.
    let mailboxChannels: Set<DeliveryChannel> = !config.usesDevelopmentMailbox ? []
        : Set(DeliveryChannel.allCases.filter { $0 == .email ? smtpSettings == nil : smsSettings == nil })
    let publicURL = config.effectivePublicURL.hasSuffix("/") ? String(config.effectivePublicURL.dropLast())
        : config.effectivePublicURL
    let freezeLinks = FreezeLinks(hasher: hasher, clock: clock, baseURL: publicURL)
    let queue = MessageQueue(composer: MessageComposer(platformName: config.platformName), sealer: sealer,
                             mailboxChannels: mailboxChannels, clock: clock, freezeLinks: freezeLinks)
    let codes = OneTimeCodes(
        hasher: hasher, clock: clock,
        settings: CodeSettings(digits: config.codeDigits, lifetime: config.codeLifetime,
                               maxAttempts: config.codeMaxAttempts, resendInterval: config.codeResendInterval),
        limits: config.rateLimits, queue: queue)
    let guesses = GuessCounter(hasher: hasher, clock: clock, settings: config.lockout,
                               maxRecoveryFailures: config.recoveryMaxCodeFailures, queue: queue)
    let authenticators = Authenticators(sealer: sealer, clock: clock, settings: config.effectiveAuthenticator)
    let recoveryCodes = RecoveryCodes(hasher: hasher)
    let party = try config.relyingParty()
    let relyingParty = PasskeyRelyingParty(id: party.id, name: config.platformName, origins: party.origins, hasher: hasher)
    let credentials = CredentialMethods([
        PasswordCredential(passwords: passwords, clock: clock),
        PasskeyCredential(relyingParty: relyingParty, clock: clock),
        AuthenticatorCredential(authenticators: authenticators),
        CodeCredential(channel: .email, codes: codes),
        CodeCredential(channel: .sms, codes: codes),
        RecoveryCodeCredential(codes: recoveryCodes, queue: queue, clock: clock),
    ], clock: clock)
    let step = SecondFactorStep(database: database, codes: codes, credentials: credentials, guesses: guesses, clock: clock)
    let effects = SecurityEffectsApplier(queue: queue, clock: clock)
    let recognition = SignInRecognition(queue: queue, clock: clock, alertsEnabled: config.newSignInAlerts)
    let restrictions = AccountRestrictions(database: database, effects: effects, clock: clock, links: freezeLinks)
    let risk = RiskEngine(hasher: hasher, recognition: recognition, restrictions: restrictions, clock: clock,
                          settings: config.risk)
    let registrations = RegistrationService(
        database: database, passwords: passwords, policy: PasswordPolicy(preset: config.passwordPolicy),
        codes: codes, sessions: sessions, recognition: recognition, limits: config.rateLimits, clock: clock)
    let signIns = SignInService(database: database, passwords: passwords, credentials: credentials, sessions: sessions,
                                guesses: guesses, step: step, limits: config.rateLimits, recognition: recognition,
                                risk: risk,
                                approvals: DeviceApprovals(codes: codes, queue: queue, clock: clock,
                                                           codeLifetime: config.codeLifetime),
                                clock: clock, revealAccountExistence: config.revealAccountExistence,
                                strictFailureFloor: config.strictFailureFloor, flowLifetime: config.loginFlowLifetime)
    let recoveries = RecoveryService(
        database: database, passwords: passwords, policy: PasswordPolicy(preset: config.passwordPolicy), codes: codes,
        step: step, guesses: guesses, effects: effects, clock: clock, revealAccountExistence: config.revealAccountExistence,
        holdAfterReset: config.holdAfterPasswordReset)
    let reauthentication = ReauthenticationService(database: database, credentials: credentials, guesses: guesses, step: step,
                                                   clock: clock, freshness: config.reauthFreshness,
                                                   flowLifetime: config.loginFlowLifetime)
    let settings = SecuritySettingsService(
        database: database, passwords: passwords, policy: PasswordPolicy(preset: config.passwordPolicy),
        authenticators: authenticators, reauthentication: reauthentication, step: step, queue: queue, effects: effects,
        recoveryCodes: recoveryCodes, clock: clock, holds: config.changeHolds)
    let contacts = ContactChangeService(database: database, codes: codes, credentials: credentials, guesses: guesses,
                                        reauthentication: reauthentication, effects: effects,
                                        holds: config.changeHolds, clock: clock,
                                        flowLifetime: config.loginFlowLifetime)
    let passkeys = PasskeySettingsService(database: database, relyingParty: relyingParty,
                                          reauthentication: reauthentication, effects: effects, clock: clock,
                                          holds: config.changeHolds)
    let passkeySignIns = PasskeySignInService(database: database, relyingParty: relyingParty, credentials: credentials,
                                              sessions: sessions,
                                              guesses: guesses, limits: config.rateLimits, recognition: recognition,
                                              clock: clock)
    let cases = SupportCaseService(database: database, codes: codes, credentials: credentials, guesses: guesses, step: step,
                                   hasher: hasher, sealer: sealer, queue: queue, limits: config.rateLimits, clock: clock,
                                   settings: config.support, caseLink: { "\(publicURL)/support/cases/\($0)" })
    let diagnostics = SignInDiagnostics(database: database, lockout: config.lockout, clock: clock)
    let help = SignInHelpService(database: database, codes: codes, diagnostics: diagnostics, freezeLinks: freezeLinks,
                                 lockout: config.lockout, clock: clock, baseURL: publicURL,
                                 revealAccountExistence: config.revealAccountExistence, lifetime: config.codeLifetime)
    let desk = SupportDeskService(database: database, cases: cases, codes: codes, effects: effects, diagnostics: diagnostics,
                                  sealer: sealer, clock: clock, holds: config.changeHolds, fourEyes: config.supportFourEyes)
    let staff = StaffService(database: database, passwords: passwords, policy: PasswordPolicy(preset: config.passwordPolicy),
                             authenticators: authenticators, sealer: sealer, hasher: hasher, clock: clock)
    let services = KeywardServices(database: database, registrations: registrations, signIns: signIns,
                                   sessions: sessions, recoveries: recoveries, reauthentication: reauthentication,
                                   settings: settings, contacts: contacts, passkeys: passkeys, passkeySignIns: passkeySignIns,
                                   accounts: AccountActivityService(database: database, clock: clock), cases: cases, desk: desk, staff: staff,
                                   restrictions: restrictions, help: help,
                                   config: config, clock: clock)

    let pages = try await PageRenderer.load(platformName: config.platformName)
    let resources = try SystemController.loadResources()
    let csrf = CSRFGuard(hasher: hasher)

    let router = Router(context: KeywardRequestContext.self)
    router.add(middleware: SecurityHeadersMiddleware(production: config.mode == .production,
                                                     hstsIncludesSubdomains: config.hstsIncludeSubdomains))
    router.add(middleware: ClientOriginMiddleware(trustedProxies: config.trustedProxies.compactMap(IPRange.init),
                                                  countryHeader: config.countryHeader.flatMap { HTTPField.Name($0) },
                                                  bodyLimit: config.maxBodyBytes))
    router.add(middleware: ErrorMiddleware(pages: pages))
    router.add(middleware: SessionMiddleware(sessions: sessions))
    router.add(middleware: StaffSessionMiddleware(staff: staff))

    SystemController(database: database, developmentMailbox: config.usesDevelopmentMailbox, pages: pages,
                     assets: resources.assets, openAPI: resources.openAPI).addRoutes(to: router)
    let api = router.group("api/v1")
    RegistrationController(registrations: registrations).addRoutes(to: api)
    SignInController(signIns: signIns, passkeySignIns: passkeySignIns, sessions: sessions).addRoutes(to: api)
    RecoveryController(recoveries: recoveries).addRoutes(to: api)
    AccountController(accounts: services.accounts, operatorKeys: config.operatorAPIKeys).addRoutes(to: api)
    RestrictionController(restrictions: services.restrictions, operatorKeys: config.operatorAPIKeys).addRoutes(to: api)
    SecurityController(reauthentication: reauthentication, settings: settings).addRoutes(to: api)
    PasskeyController(passkeys: passkeys).addRoutes(to: api)
    ContactChangeController(contacts: contacts).addRoutes(to: api)
    SupportCaseController(cases: cases, desk: desk).addRoutes(to: api)
    StaffController(staff: staff, desk: desk).addRoutes(to: api)
    SupportController(diagnostics: diagnostics, desk: desk, operatorKeys: config.operatorAPIKeys).addRoutes(to: api)
    SignInHelpController(help: help).addRoutes(to: api)
    WebController(services: services, pages: pages, csrf: csrf).addRoutes(to: router)
    WebSignInController(services: services, pages: pages, csrf: csrf).addRoutes(to: router)
    WebSecurityController(services: services, pages: pages, csrf: csrf).addRoutes(to: router)
    WebRecoveryController(services: services, pages: pages, csrf: csrf).addRoutes(to: router)
    StaffConsoleController(services: services, pages: pages, csrf: csrf).addRoutes(to: router)
    WebSupportController(services: services, pages: pages, csrf: csrf).addRoutes(to: router)
    WebFreezeController(services: services, pages: pages, csrf: csrf).addRoutes(to: router)
    WebSignInHelpController(services: services, pages: pages, csrf: csrf).addRoutes(to: router)

    // Email goes to the mail server when one is configured; any channel without delivery goes to
    // the development mailbox when it is on, and otherwise waits in the outbox.
    let undelivered: any MessageSender = config.usesDevelopmentMailbox
        ? DevelopmentMailboxSender(mailbox: database.stores.mailbox, clock: clock)
        : UnconfiguredSender()
    let smtp = try smtpSettings.map { try SMTPSender(settings: $0, clock: clock) }
    // Made last: nothing may fail between here and the shutdown service that closes its client.
    let smsWebhook = smsSettings.map(SMSWebhookSender.init)
    let sender = ChannelRoutingSender(email: smtp ?? undelivered, sms: smsWebhook ?? undelivered)
    // A lease outlasts the slowest send several times over, so that no other node takes a message
    // that is still being sent.
    let outbox = OutboxWorker(database: database, sender: sender, sealing: OutboxSealing(sealer: sealer),
                              clock: clock, logger: logger,
                              lease: max(120, 4 * max(config.smtp.timeout, config.sms.timeout)))
    let resourcesService = ResourceShutdownService(database: database, passwords: passwords, smsWebhook: smsWebhook)
    let cleanup = CleanupService(database: database, clock: clock, logger: logger,
                                 documentRetention: TimeInterval(config.support.documentRetentionDays) * 86400,
                                 attemptRetention: max(config.risk.stuffingWindow, config.risk.velocityWindow))

    let limiter = ConnectionLimiter(maxConnections: config.maxConnections, maxPerClient: config.maxConnectionsPerClient,
                                    exempt: config.trustedProxies.compactMap(IPRange.init))
    let headerTimeout = TimeAmount.milliseconds(Int64(config.headerTimeout * 1000))
    let idleTimeout = TimeAmount.milliseconds(Int64(config.idleTimeout * 1000))
    let application = Application(
        router: router,
        server: HTTPServerBuilder { responder in
            GuardedHTTP1Channel(responder: responder, limiter: limiter, headerTimeout: headerTimeout, idleTimeout: idleTimeout)
        },
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
        services: [resourcesService, outbox, cleanup],
        logger: logger)
    return (application, services)
}

/// Closes the database, the hashing threads and the SMS gateway client when the server has stopped.
struct ResourceShutdownService: Service {
    let database: SQLKeywardDatabase
    let passwords: PasswordHasherPool
    let smsWebhook: SMSWebhookSender?

    func run() async throws {
        try? await gracefulShutdown()
        // Every resource is closed, even when another fails to close or the run was cancelled.
        try? await smsWebhook?.shutdown()
        var failure: (any Error)?
        do { try await passwords.shutdown() } catch { failure = error }
        do { try await database.close() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }
}
