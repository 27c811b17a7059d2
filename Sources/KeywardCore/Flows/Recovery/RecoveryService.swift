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
    private let queue: MessageQueue
    private let clock: any KeywardClock
    /// Whether an unknown identifier is told so.
    public let revealAccountExistence: Bool
    /// How long withdrawals are held after a reset (default 24 h; 0 places none).
    public let holdAfterReset: TimeInterval
    /// How long a recovery may take (default 30 minutes).
    public let flowLifetime: TimeInterval

    /// A service over the given parts.
    public init(database: any KeywardDatabase, passwords: any PasswordHashing, policy: PasswordPolicy,
                codes: OneTimeCodes, step: SecondFactorStep, guesses: GuessCounter, queue: MessageQueue,
                clock: any KeywardClock, revealAccountExistence: Bool, holdAfterReset: TimeInterval = 24 * 3600,
                flowLifetime: TimeInterval = 1800) {
        self.database = database
        self.passwords = passwords
        self.policy = policy
        self.codes = codes
        self.step = step
        self.guesses = guesses
        self.queue = queue
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
            let flow = Flow(id: SecureRandom.uuid(), kind: .recovery, state: RecoveryState.codeSent.rawValue,
                            accountId: account?.id, identifier: identifier, createdAt: now, updatedAt: now,
                            expiresAt: now.addingTimeInterval(flowLifetime), payload: [:])
            try await stores.flows.insert(flow)
            let resendAt = try await codes.send(for: flow, to: identifier, reason: .recovery, origin: origin,
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
            let resendAt = try await codes.send(for: flow, to: identifier, reason: .recovery, origin: origin,
                                                in: stores, deliver: flow.accountId != nil)
            return RecoveryStarted(flowId: flow.id, channel: identifier.channel, resendAvailableAt: resendAt)
        }
    }

    /// Checks the code. Every check counts toward the account's recovery failures (not reset by a
    /// new code); too many pause recovery with `recovery.locked`. Returns the flow's next state.
    public func verify(flowId: String, code entered: String, origin: RequestOrigin) async throws -> RecoveryState {
        let flow = try await flow(flowId, expecting: .codeSent)
        let code: VerificationCode = try await counted(flow, origin: origin) {
            try await codes.check(entered, flow: flow, origin: origin, in: database.stores)
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
            try await step.consume(proof, in: stores)
            guard try await stores.flows.transition(id: flow.id, from: RecoveryState.secondFactorRequired.rawValue,
                                                    to: RecoveryState.verified.rawValue, at: now)
            else { throw KeywardError.recoveryAlreadyVerified }
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
    private func counted<T: Sendable>(_ flow: Flow, origin: RequestOrigin, _ check: () async throws -> T) async throws -> T {
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
            guard try await stores.flows.transition(id: flow.id, from: RecoveryState.verified.rawValue,
                                                    to: RecoveryState.completed.rawValue, at: now)
            else { throw KeywardError.recoveryCompleted }
            try await stores.accounts.updatePasswordHash(accountId: accountId, passwordHash: newHash)
            // Every other recovery still open for the account ends: none may change the password again.
            for state in [RecoveryState.codeSent, .secondFactorRequired, .verified] {
                try await stores.flows.transitionOthers(accountId: accountId, kind: .recovery, except: flow.id,
                                                        from: state.rawValue, to: RecoveryState.superseded.rawValue, at: now)
            }
            let revoked = try await stores.sessions.revokeAll(accountId: accountId, keeping: nil, at: now)
            if try await stores.guesses.clearAll(accountId: accountId, now: now) {
                try await stores.audit.record(AuditEvent(
                    kind: .lockLifted, outcome: .success, accountId: accountId, origin: origin, at: now,
                    details: ["reason": "password.reset"]))
            }
            var holds: [SecurityHold] = []
            if holdAfterReset > 0 {
                let hold = SecurityHold(id: SecureRandom.uuid(), accountId: accountId, kind: SecurityHold.withdrawal,
                                        reason: "password.reset", placedAt: now, until: now.addingTimeInterval(holdAfterReset))
                try await stores.holds.place(hold)
                try await stores.audit.record(AuditEvent(
                    kind: .holdPlaced, outcome: .success, accountId: accountId, origin: origin, at: now,
                    details: ["kind": hold.kind, "reason": hold.reason, "until": ISO8601.string(hold.until)]))
                holds.append(hold)
            }
            let bindings = try await stores.accounts.identifiers(accountId: accountId)
            for binding in bindings {
                _ = try await stores.guesses.clear(.recovery(identifier: binding.identifier.value), now: now)
            }
            try await queue.notifyAll(accountId: accountId, in: stores) { identifier in
                queue.composer.passwordResetNotice(at: now, ip: origin.ip, holdUntil: holds.first?.until, to: identifier)
            }
            try await stores.audit.record(AuditEvent(
                kind: .recoveryFinished, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["flowId": flow.id, "sessionsRevoked": String(revoked)]))
            return RecoveryCompleted(accountId: accountId, sessionsRevoked: revoked, holds: holds)
        }
    }

    /// The recovery flow `id` with its resend time and where its newest code's delivery stands, for pages.
    public func status(flowId: String) async throws -> (flow: Flow, resendAvailableAt: Date, delivery: OutboxDelivery?) {
        guard let flow = try await database.stores.flows.find(id: flowId), flow.kind == .recovery else {
            throw KeywardError.recoveryNotFound
        }
        let latest = try await database.stores.codes.latest(flowId: flow.id, purpose: nil)
        var delivery: OutboxDelivery?
        if let latest { delivery = try await database.stores.outbox.delivery(id: latest.id) }
        return (flow, codes.resendAvailableAt(after: latest?.createdAt ?? flow.createdAt), delivery)
    }

    private func accept(flow: Flow, accountId: String, code: VerificationCode, origin: RequestOrigin) async throws -> RecoveryState {
        try await database.transaction { stores in
            let now = clock.now()
            try await codes.consume(code, in: stores)
            // The code proved one channel; the authenticator, or else a code to the other channel, is the second factor.
            let policy = try await step.policy(accountId: accountId, in: stores)
            let options = policy.authenticator ? policy.required
                : policy.required.filter { $0.method.channel != flow.identifier?.channel }
            let next: RecoveryState = options.isEmpty ? .verified : .secondFactorRequired
            var payload = flow.payload
            payload["methods"] = options.map(\.method.rawValue).joined(separator: ",")
            guard try await stores.flows.transition(id: flow.id, from: RecoveryState.codeSent.rawValue,
                                                    to: next.rawValue, at: now, payload: payload)
            else { throw KeywardError.recoveryAlreadyVerified }
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
    private func flow(_ id: String, expecting state: RecoveryState) async throws -> Flow {
        guard let flow = try await database.stores.flows.find(id: id), flow.kind == .recovery else {
            throw KeywardError.recoveryNotFound
        }
        let current = RecoveryState(rawValue: flow.state)
        if current == .completed { throw KeywardError.recoveryCompleted }
        if current == .superseded { throw KeywardError.recoveryExpired }
        if flow.expiresAt <= clock.now() { throw KeywardError.recoveryExpired }
        if current == state { return flow }
        switch (state, current) {
        case (.verified, .secondFactorRequired): throw KeywardError.recoverySecondFactorRequired
        case (.verified, _), (.secondFactorRequired, .codeSent): throw KeywardError.recoveryNotVerified
        default: throw KeywardError.recoveryAlreadyVerified
        }
    }
}
