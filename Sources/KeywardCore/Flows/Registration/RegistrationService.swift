public import Foundation
import KeywardCrypto

/// Registration by email or phone: start (or resume), resend the code, verify.
///
/// Each start is a new flow holding the hash of the password given with it, so the password that
/// becomes the account's is always the one typed by whoever received and entered that flow's code.
public struct RegistrationService: Sendable {
    private let database: any KeywardDatabase
    private let passwords: any PasswordHashing
    private let policy: PasswordPolicy
    private let codes: OneTimeCodes
    private let sessions: SessionService
    private let recognition: SignInRecognition
    private let limits: RateLimitSettings
    private let clock: any KeywardClock
    /// How long a registration may wait for its code (default 24 hours).
    public let flowLifetime: TimeInterval

    /// A service over the given parts.
    public init(database: any KeywardDatabase, passwords: any PasswordHashing, policy: PasswordPolicy,
                codes: OneTimeCodes, sessions: SessionService, recognition: SignInRecognition,
                limits: RateLimitSettings = RateLimitSettings(), clock: any KeywardClock,
                flowLifetime: TimeInterval = 24 * 3600) {
        self.recognition = recognition
        self.limits = limits
        self.database = database
        self.passwords = passwords
        self.policy = policy
        self.codes = codes
        self.sessions = sessions
        self.clock = clock
        self.flowLifetime = flowLifetime
    }

    /// Starts a registration, or resumes the pending account of an identifier that never finished,
    /// and sends a code.
    ///
    /// Registering again with the same password while the last code is too recent to send another
    /// answers with that pending registration and sends nothing (``RegistrationStarted/codeAlreadySent``),
    /// so an app or a person who closed the page gets back to the code step. A different password
    /// never takes over someone else's pending registration: it waits for the resend interval like
    /// any new code.
    ///
    /// Throws `identifier.invalid`, `password.invalid`, `identifier.taken` or `code.resend_too_soon`.
    public func start(identifier raw: String, password: String, origin: RequestOrigin) async throws -> RegistrationStarted {
        let identifier = try Identifier.parse(raw)
        try policy.check(password, identifier: identifier)
        let stores = database.stores
        let existing = try await stores.accounts.find(identifier: identifier)
        if existing?.status == .active { throw KeywardError.identifierTaken }
        if let existing, let resumed = try await resumable(accountId: existing.id, identifier: identifier, password: password,
                                                           origin: origin) {
            return resumed
        }
        try await codes.checkSendLimits(to: identifier, accountId: nil, origin: origin, in: database)
        let passwordHash = try await passwords.hash(password)
        return try await database.transaction { stores in
            let now = clock.now()
            let account = try await stores.accounts.findOrCreatePending(identifier: identifier, at: now)
            guard account.status == .pending else { throw KeywardError.identifierTaken }
            let flow = try await stores.flows.start(
                RegistrationFlow.self, id: SecureRandom.uuid(), state: .pendingVerification, accountId: account.id,
                identifier: identifier, at: now, lifetime: flowLifetime, context: RegistrationFlow.Context(),
                passwordHash: passwordHash)
            try await stores.audit.record(AuditEvent(
                kind: .registrationStarted, outcome: .success, accountId: account.id, origin: origin, at: now,
                details: ["flowId": flow.id, "channel": identifier.channel.rawValue]))
            let resendAt = try await codes.send(for: flow.record, to: identifier, reason: .registration, origin: origin,
                                                in: stores)
            return RegistrationStarted(registrationId: flow.id, status: .pendingVerification,
                                       channel: identifier.channel, resendAvailableAt: resendAt)
        }
    }

    /// The account's pending registration, when its code was sent too recently for another and
    /// `password` is the one it was started with.
    ///
    /// Comparing the password answers whether it is the pending one, so the comparison counts
    /// against the same per-address and per-identifier limits as a sign-in: otherwise anyone could
    /// guess a stranger's pending password, which becomes the account's, at the cost of one
    /// registration request a guess.
    private func resumable(accountId: String, identifier: Identifier, password: String,
                           origin: RequestOrigin) async throws -> RegistrationStarted? {
        let stores = database.stores
        guard let flow = try await stores.flows.newest(RegistrationFlow.self, accountId: accountId, in: .pendingVerification),
              flow.expiresAt > clock.now(),
              let latest = try await stores.codes.latest(flowId: flow.id, purpose: nil),
              let stored = Self.pendingPasswordHash(of: flow)
        else { return nil }
        let resendAt = codes.resendAvailableAt(after: latest.createdAt)
        guard resendAt > clock.now() else { return nil }
        var rules = [(key: "signin:id:\(identifier.value)", limits: limits.signInsPerIdentifier)]
        if let ip = origin.ip { rules.append(("signin:ip:\(ip)", limits.signInsPerIP)) }
        do {
            try await RateLimiter(clock: clock).check(rules, in: stores)
        } catch let error as KeywardError {
            try await stores.audit.record(AuditEvent(
                kind: .rateLimited, outcome: .failure, accountId: accountId, origin: origin, at: clock.now(),
                details: ["action": "registration.resume", "retryAfter": String(error.retryAfter ?? 0)]))
            throw error
        }
        guard case .match = try await passwords.verify(password, against: stored) else { return nil }
        return RegistrationStarted(registrationId: flow.id, status: .pendingVerification, channel: identifier.channel,
                                   resendAvailableAt: resendAt, codeAlreadySent: true)
    }

    /// The password hash a pending registration will set. Registrations begun before the hash had
    /// a column of its own kept it in the payload.
    private static func pendingPasswordHash(of flow: LoadedFlow<RegistrationFlow>) -> String? {
        flow.record.passwordHash ?? flow.context.passwordHash
    }

    /// Sends a new code for a pending registration; throws `code.resend_too_soon` within the resend interval.
    public func resend(registrationId: String, origin: RequestOrigin) async throws -> RegistrationStarted {
        let flow = try await pendingFlow(registrationId)
        guard let identifier = flow.identifier else { throw KeywardError.registrationNotFound }
        try await codes.checkSendLimits(to: identifier, accountId: nil, origin: origin, in: database)
        return try await database.transaction { stores in
            let resendAt = try await codes.send(for: flow.record, to: identifier, reason: .registration, origin: origin,
                                                in: stores)
            return RegistrationStarted(registrationId: flow.id, status: .pendingVerification,
                                       channel: identifier.channel, resendAvailableAt: resendAt)
        }
    }

    /// The current state of a registration, for pages that show it: when another code may be
    /// asked for and where the newest code's delivery stands.
    public func status(registrationId: String) async throws -> (flow: LoadedFlow<RegistrationFlow>, resendAvailableAt: Date,
                                                                 delivery: OutboxDelivery?) {
        let flow = try await pendingFlow(registrationId)
        let latest = try await database.stores.codes.latest(flowId: flow.id, purpose: nil)
        let resendAt = codes.resendAvailableAt(after: latest?.createdAt ?? flow.createdAt)
        var delivery: OutboxDelivery?
        if let latest { delivery = try await database.stores.outbox.delivery(id: latest.id) }
        return (flow, resendAt, delivery)
    }

    /// Checks the code; on success the account becomes active with this flow's password and a first
    /// session is issued.
    public func verify(registrationId: String, code entered: String, deviceName: String?,
                       origin: RequestOrigin) async throws -> RegistrationCompleted {
        let flow = try await pendingFlow(registrationId)
        let code = try await codes.check(entered, flow: flow.record, origin: origin, in: database.stores)
        guard let accountId = flow.accountId, let identifier = flow.identifier,
              let passwordHash = Self.pendingPasswordHash(of: flow)
        else { throw KeywardError.registrationNotFound }
        return try await database.transaction { stores in
            let now = clock.now()
            try await codes.consume(code, in: stores)
            try await stores.flows.advance(flow, from: .pendingVerification, to: .completed, at: now)
            guard try await stores.accounts.activate(accountId: accountId, identifier: identifier,
                                                     passwordHash: passwordHash, at: now)
            else { throw KeywardError.identifierTaken }
            try await stores.flows.supersede(RegistrationFlow.self, accountId: accountId, except: flow.id,
                                             from: [.pendingVerification], to: .superseded, at: now)
            try await stores.audit.record(AuditEvent(
                kind: .registrationCompleted, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["flowId": flow.id]))
            // The place of registration is where the owner is: signing in from it is not news.
            try await recognition.remember(accountId: accountId, origin: origin, in: stores)
            let issued = try await sessions.issue(accountId: accountId, deviceName: deviceName, origin: origin, in: stores)
            return RegistrationCompleted(accountId: accountId, session: issued)
        }
    }

    /// The registration flow `id` if it can still advance; throws the error that says why not.
    private func pendingFlow(_ id: String) async throws -> LoadedFlow<RegistrationFlow> {
        try await database.stores.flows.load(id, as: RegistrationFlow.self, in: .pendingVerification, now: clock.now())
    }
}
