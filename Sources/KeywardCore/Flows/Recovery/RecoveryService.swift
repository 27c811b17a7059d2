public import Foundation
import KeywardCrypto

/// "Forgot password": a code to the registered email or phone, then the account's second factor
/// (its authenticator app, or a code to its other channel), then a new password.
///
/// After a reset every session of the account is revoked, any lock is lifted, the owner is told on
/// every channel, and a withdrawal hold is placed. In strict mode an unknown identifier gets the
/// same answers as a real one (a flow with a code nobody receives) and no message is sent.
public struct RecoveryService: Sendable {
    private let database: any KeywardDatabase
    private let passwords: any PasswordHashing
    private let policy: PasswordPolicy
    private let codes: OneTimeCodes
    private let step: SecondFactorStep
    private let guesses: GuessCounter
    private let effects: SecurityEffectsApplier
    private let clock: any KeywardClock
    /// Whether an unknown identifier is told so.
    public let revealAccountExistence: Bool
    /// How long withdrawals are held after a reset (default 24 h; 0 places none).
    public let holdAfterReset: TimeInterval
    /// How long a recovery may take (default 30 minutes).
    public let flowLifetime: TimeInterval

    /// A service over the given parts.
    public init(database: any KeywardDatabase, passwords: any PasswordHashing, policy: PasswordPolicy,
                codes: OneTimeCodes, step: SecondFactorStep, guesses: GuessCounter, effects: SecurityEffectsApplier,
                clock: any KeywardClock, revealAccountExistence: Bool, holdAfterReset: TimeInterval = 24 * 3600,
                flowLifetime: TimeInterval = 1800) {
        self.database = database
        self.passwords = passwords
        self.policy = policy
        self.codes = codes
        self.step = step
        self.guesses = guesses
        self.effects = effects
        self.clock = clock
        self.revealAccountExistence = revealAccountExistence
        self.holdAfterReset = holdAfterReset
        self.flowLifetime = flowLifetime
    }

    /// Starts a recovery and sends its code. Throws `identifier.invalid`, `rate_limited`,
    /// `code.resend_too_soon`, and (when existence is revealed) `account.not_found` or
    /// `account.registration_incomplete`.
    public func start(identifier raw: String, origin: RequestOrigin) async throws -> RecoveryStarted {
        let identifier = try Identifier.parse(raw)
        let found = try await database.stores.accounts.find(identifier: identifier)
        let account = found?.status == .active ? found : nil
        try await guesses.ensureNotLocked(.recovery(identifier: identifier.value), in: database.stores)
        // Limits first, so that probing for accounts is as limited as asking for codes.
        try await codes.checkSendLimits(to: identifier, accountId: account?.id, origin: origin, in: database)
        if account == nil && revealAccountExistence {
            throw found == nil ? KeywardError.accountNotFound : KeywardError.registrationIncomplete
        }
        return try await database.transaction { stores in
            let now = clock.now()
            let flow = try await stores.flows.start(RecoveryFlow.self, id: SecureRandom.uuid(), state: .codeSent,
                                                    accountId: account?.id, identifier: identifier, at: now,
                                                    lifetime: flowLifetime, context: RecoveryFlow.Context())
            let resendAt = try await codes.send(for: flow.record, to: identifier, reason: .recovery, origin: origin,
                                                in: stores, deliver: account != nil)
            if let account {
                try await stores.audit.record(AuditEvent(
                    kind: .recoveryStarted, outcome: .success, accountId: account.id, origin: origin, at: now,
                    details: ["flowId": flow.id, "channel": identifier.channel.rawValue]))
            }
            return RecoveryStarted(flowId: flow.id, channel: identifier.channel, resendAvailableAt: resendAt)
        }
    }

    /// Sends a new code for a recovery still waiting for one.
    public func resend(flowId: String, origin: RequestOrigin) async throws -> RecoveryStarted {
        let flow = try await flow(flowId, expecting: .codeSent)
        guard let identifier = flow.identifier else { throw KeywardError.recoveryNotFound }
        try await codes.checkSendLimits(to: identifier, accountId: flow.accountId, origin: origin, in: database)
        return try await database.transaction { stores in
            let resendAt = try await codes.send(for: flow.record, to: identifier, reason: .recovery, origin: origin,
                                                in: stores, deliver: flow.accountId != nil)
            return RecoveryStarted(flowId: flow.id, channel: identifier.channel, resendAvailableAt: resendAt)
        }
    }

    /// Checks the code. Every check counts toward the account's recovery failures (not reset by a
    /// new code); too many pause recovery with `recovery.locked`. Returns the flow's next state.
    public func verify(flowId: String, code entered: String, origin: RequestOrigin) async throws -> RecoveryState {
        let flow = try await flow(flowId, expecting: .codeSent)
        let code: VerificationCode = try await counted(flow, origin: origin) {
            try await codes.check(entered, flow: flow.record, origin: origin, in: database.stores)
        }
        // A flow for an unknown identifier: its code reached nobody, so no entry can be right.
        guard let accountId = flow.accountId else { throw KeywardError.codeInvalid(attemptsRemaining: 0) }
        return try await accept(flow: flow, accountId: accountId, code: code, origin: origin)
    }

    /// The second factors a recovery waiting for one accepts, and the state of their codes.
    public func secondFactor(flowId: String) async throws -> SecondFactorPending {
        try await step.pending(try await flow(flowId, expecting: .secondFactorRequired))
    }

    /// Sends the second-factor code on `channel` (the account's other channel).
    public func sendSecondFactorCode(flowId: String, channel: String, origin: RequestOrigin) async throws -> Date {
        let flow = try await flow(flowId, expecting: .secondFactorRequired)
        if let subject = flow.identifier?.value {
            try await guesses.ensureNotLocked(.recovery(identifier: subject), in: database.stores)
        }
        return try await step.sendCode(flow: flow, channel: channel, reason: .recovery, origin: origin)
    }

    /// Checks the second factor; every check counts toward the same recovery failures as the code.
    public func verifySecondFactor(flowId: String, method raw: String, code entered: String,
                                   origin: RequestOrigin) async throws -> RecoveryState {
        let method = try SecondFactorMethod.parse(raw)
        let flow = try await flow(flowId, expecting: .secondFactorRequired)
        guard let accountId = flow.accountId else { throw KeywardError.recoveryNotFound }
        let proof = try await counted(flow, origin: origin) {
            try await step.verify(flow: flow, method: method, code: entered, origin: origin)
        }
        return try await database.transaction { stores in
            let now = clock.now()
            try await step.consume(proof, origin: origin, in: stores)
            try await stores.flows.advance(flow, from: .secondFactorRequired, to: .verified, at: now,
                                           lost: KeywardError.recoveryAlreadyVerified)
            if let subject = flow.identifier?.value {
                try await guesses.reset(.recovery(identifier: subject), in: stores)
            }
            try await stores.audit.record(AuditEvent(
                kind: .recoveryVerified, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["flowId": flow.id, "step": "second_factor", "method": method.rawValue]))
            return .verified
        }
    }

    /// Runs one check of a recovery, counted first toward the identifier's recovery failures (not
    /// reset by a new code); a wrong entry at the limit pauses recovery with `recovery.locked`.
    private func counted<T: Sendable>(_ flow: LoadedFlow<RecoveryFlow>, origin: RequestOrigin, _ check: () async throws -> T) async throws -> T {
        guard let subject = flow.identifier?.value else { throw KeywardError.recoveryNotFound }
        // Counted per identifier, for real and unknown identifiers alike, so the answers never differ.
        return try await guesses.guess(.recovery(identifier: subject), origin: origin, in: database, check)
    }

    /// Sets the new password of a verified recovery and secures the account: sessions revoked, lock
    /// lifted, owner told everywhere, withdrawal hold placed.
    public func setPassword(flowId: String, newPassword: String, origin: RequestOrigin) async throws -> RecoveryCompleted {
        let flow = try await flow(flowId, expecting: .verified)
        guard let accountId = flow.accountId,
              let account = try await database.stores.accounts.find(id: accountId), let current = account.passwordHash
        else { throw KeywardError.recoveryNotFound }
        try policy.check(newPassword, identifier: flow.identifier)
        if case .match = try await passwords.verify(newPassword, against: current) {
            throw KeywardError.passwordReused
        }
        let newHash = try await passwords.hash(newPassword)
        return try await database.transaction { stores in
            let now = clock.now()
            try await stores.flows.advance(flow, from: .verified, to: .completed, at: now)
            try await stores.accounts.updatePasswordHash(accountId: accountId, passwordHash: newHash)
            // Every other recovery still open for the account ends: none may change the password again.
            try await stores.flows.supersede(RecoveryFlow.self, accountId: accountId, except: flow.id,
                                             from: [.codeSent, .secondFactorRequired, .verified], to: .superseded, at: now)
            let applied = try await effects.apply(SecurityEffects(
                event: .recoveryFinished, details: ["flowId": flow.id], revocation: .all, liftsLocks: true,
                hold: ("password.reset", holdAfterReset), notice: .passwordReset), accountId: accountId, origin: origin, in: stores)
            return RecoveryCompleted(accountId: accountId, sessionsRevoked: applied.sessionsRevoked, holds: applied.holds)
        }
    }

    /// Where the recovery `id` stands, with its resend time and, unless accounts' existence is kept
    /// secret, where its newest code's delivery stands, for pages. Throws `recovery.not_found`, or `recovery.expired` for one that can no
    /// longer finish.
    public func status(flowId: String) async throws -> RecoveryStatus {
        let flow = try await database.stores.flows.find(flowId, as: RecoveryFlow.self)
        if flow.state == .superseded || (flow.expiresAt <= clock.now() && flow.state != .completed) {
            throw KeywardError.recoveryExpired
        }
        let latest = try await database.stores.codes.latest(flowId: flow.id, purpose: nil)
        // In strict mode an unknown identifier's code is never queued, so where a message stands
        // would tell whether an account has the identifier: the page is not told.
        var delivery: OutboxDelivery?
        if let latest, revealAccountExistence { delivery = try await database.stores.outbox.delivery(id: latest.id) }
        return RecoveryStatus(state: flow.state, identifier: flow.identifier,
                              resendAvailableAt: codes.resendAvailableAt(after: latest?.createdAt ?? flow.createdAt),
                              delivery: delivery)
    }

    private func accept(flow: LoadedFlow<RecoveryFlow>, accountId: String, code: VerificationCode, origin: RequestOrigin) async throws -> RecoveryState {
        try await database.transaction { stores in
            let now = clock.now()
            try await codes.consume(code, in: stores)
            // The code proved one channel; the authenticator, or else a code to the other channel, is the
            // second factor. A passkey held without an authenticator app takes the place of neither: it
            // often lives on the phone that was lost, so its account may answer with either.
            let factors = try await step.policy(accountId: accountId, in: stores)
            var required = step.required(for: factors)
            if required.contains(where: { $0.method == .passkey }) && !factors.authenticator {
                required = step.offers(for: factors)
            }
            let others = required.filter { $0.method.channel == nil || $0.method.channel != flow.identifier?.channel }
            // Recovery codes stand in for a second factor, never for none.
            let options = others.contains { $0.method != .recoveryCode } ? others : []
            let next: RecoveryState = options.isEmpty ? .verified : .secondFactorRequired
            try await stores.flows.advance(flow, from: .codeSent, to: next,
                                           context: RecoveryFlow.Context(methods: options.map(\.method)), at: now,
                                           lost: KeywardError.recoveryAlreadyVerified)
            if let subject = flow.identifier?.value {
                try await guesses.reset(.recovery(identifier: subject), in: stores)
            }
            try await stores.audit.record(AuditEvent(
                kind: .recoveryVerified, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["flowId": flow.id, "step": "code", "next": next.rawValue]))
            return next
        }
    }

    /// The recovery flow `id` if it is in `state` and not expired; otherwise the error saying why.
    private func flow(_ id: String, expecting state: RecoveryState) async throws -> LoadedFlow<RecoveryFlow> {
        try await database.stores.flows.load(id, as: RecoveryFlow.self, in: state, now: clock.now())
    }
}
