public import Foundation

/// What a successful password sign-in gives the client.
public struct SignInSucceeded: Sendable {
    /// The account signed in to.
    public let accountId: String
    /// The new session.
    public let session: IssuedSession
}

/// What a sign-in attempt says about the device making it.
public struct SignInDevice: Sendable {
    /// A stable random id the app or browser keeps (the web keeps it in a cookie); used for
    /// device-scoped lockout and recognised devices.
    public var id: String?
    /// A name the person gave it.
    public var name: String?

    /// A device description.
    public init(id: String? = nil, name: String? = nil) {
        self.id = id
        self.name = name
    }
}

/// Sign-in: the password, then the second factor, behind rate limits and lockout.
///
/// A correct password opens a login flow waiting for the account's second factor (its authenticator
/// if bound, otherwise a code to its email or phone); only that finishes the sign-in and issues a
/// session. Wrong second factors count toward the same lockout as wrong passwords.
///
/// Order of checks, cheapest first: the client IP's rate limit (before any hashing, so a flood
/// costs almost nothing), the identifier's, then the lock (an attempt during a lock only extends it
/// and is never checked against the password), then the password on the hashing pool.
///
/// With `revealAccountExistence` on (the default, as most exchanges do) an unknown identifier, an
/// unfinished registration and a lock each get their own answer. Off, all of them answer
/// `credentials.invalid` identically after the same Argon2id work; the owner of a locked account
/// still learns of the lock from the notice sent when it was placed.
public struct SignInService: Sendable {
    private let database: any KeywardDatabase
    private let passwords: any PasswordHashing
    private let credentials: CredentialMethods
    private let completion: SignInCompletion
    private let guesses: GuessCounter
    private let step: SecondFactorStep
    private let limiter: RateLimiter
    private let limits: RateLimitSettings
    private let risk: RiskEngine
    private let approvals: DeviceApprovals
    private let clock: any KeywardClock
    /// Whether failures say which part was wrong.
    public let revealAccountExistence: Bool
    /// In strict mode, the least time a failed sign-in takes to answer (real time, not the clock).
    public let strictFailureFloor: TimeInterval
    /// How long the second step may take (default 10 minutes).
    public let flowLifetime: TimeInterval

    /// A service over the given parts.
    public init(database: any KeywardDatabase, passwords: any PasswordHashing, credentials: CredentialMethods,
                sessions: SessionService,
                guesses: GuessCounter, step: SecondFactorStep, limits: RateLimitSettings, recognition: SignInRecognition,
                risk: RiskEngine, approvals: DeviceApprovals, clock: any KeywardClock, revealAccountExistence: Bool, strictFailureFloor: TimeInterval = 0.25,
                flowLifetime: TimeInterval = 600) {
        self.strictFailureFloor = strictFailureFloor
        self.flowLifetime = flowLifetime
        self.step = step
        self.database = database
        self.passwords = passwords
        self.credentials = credentials
        self.completion = SignInCompletion(sessions: sessions, recognition: recognition, clock: clock)
        self.guesses = guesses
        self.limiter = RateLimiter(clock: clock)
        self.limits = limits
        self.risk = risk
        self.approvals = approvals
        self.clock = clock
        self.revealAccountExistence = revealAccountExistence
    }

    /// Checks an identifier and password and opens the second step.
    ///
    /// Throws `rate_limited`, `identifier.invalid`, `account.not_found`,
    /// `account.registration_incomplete`, `account.locked` or `credentials.invalid` (in strict mode
    /// only the first and the last); after the right password, `account.frozen` or
    /// `account.restricted`, which risk control may have decided on this very attempt.
    public func signIn(identifier raw: String, password: String, device: SignInDevice = SignInDevice(),
                      origin: RequestOrigin) async throws -> SecondFactorChallenge {
        guard !revealAccountExistence, strictFailureFloor > 0 else {
            return try await attempt(identifier: raw, password: password, device: device, origin: origin)
        }
        let started = ContinuousClock.now
        do {
            return try await attempt(identifier: raw, password: password, device: device, origin: origin)
        } catch let error as KeywardError where error.code == "credentials.invalid" {
            let remaining = Duration.milliseconds(Int64(strictFailureFloor * 1000)) - (ContinuousClock.now - started)
            if remaining > .zero { try? await Task.sleep(for: remaining) }
            throw error
        }
    }

    private func attempt(identifier raw: String, password: String, device: SignInDevice,
                         origin: RequestOrigin) async throws -> SecondFactorChallenge {
        let stores = database.stores
        if let ip = origin.ip {
            try await limited(accountId: nil, origin: origin) {
                try await limiter.check([("signin:ip:\(ip)", limits.signInsPerIP)], in: stores)
            }
        }
        let identifier: Identifier
        do {
            identifier = try Identifier.parse(raw)
        } catch {
            if revealAccountExistence { throw error }
            try await passwords.verifyDummy(password)
            throw KeywardError.credentialsInvalid
        }
        // Refusals for the identifier are the account's own events: its owner and support see them.
        try await limited(accountId: nil, owner: identifier, origin: origin) {
            try await limiter.check([("signin:id:\(identifier.value)", limits.signInsPerIdentifier)], in: stores)
        }
        let account = try await stores.accounts.find(identifier: identifier)
        guard let account, account.status == .active, account.passwordHash != nil else {
            let reason = account == nil ? "account.not_found" : "account.registration_incomplete"
            try await passwords.verifyDummy(password)
            try await recordFailure(accountId: account?.id, reason: reason, origin: origin)
            try await risk.recordFailure(identifier: identifier, accountId: account?.id, origin: origin, in: stores)
            if !revealAccountExistence { throw KeywardError.credentialsInvalid }
            throw account == nil ? KeywardError.accountNotFound : KeywardError.registrationIncomplete
        }

        let scope = try await guesses.scope(accountId: account.id, deviceId: device.id, in: stores)
        let failureNumber: Int
        do {
            failureNumber = try await guesses.admit(scope, origin: origin, in: stores)
        } catch let error as KeywardError where error.code == "account.locked" {
            try await recordFailure(accountId: account.id, reason: "account.locked", origin: origin)
            try await risk.recordFailure(identifier: identifier, accountId: account.id, origin: origin, in: stores)
            if revealAccountExistence { throw error }
            try await passwords.verifyDummy(password)
            throw KeywardError.credentialsInvalid
        }

        let proof: CredentialProof
        do {
            proof = try await credentials.method(.password).verify(password, CredentialAttempt(accountId: account.id, origin: origin),
                                                                   in: stores)
        } catch let failure as KeywardError where failure.isWrongGuess {
            try await recordFailure(accountId: account.id, reason: "credentials.invalid", origin: origin)
            try await risk.recordFailure(identifier: identifier, accountId: account.id, origin: origin, in: stores)
            if let until = try await guesses.recordFailure(scope, count: failureNumber, origin: origin, in: database),
               revealAccountExistence {
                throw KeywardError.accountLocked(until: until, now: clock.now())
            }
            throw KeywardError.credentialsInvalid
        } catch {
            // Not a wrong password (the hashing pool was full): the guess must not count.
            try? await guesses.release(scope, in: stores)
            throw error
        }
        let deviceHash = guesses.deviceHash(device.id)
        var approveDevice = false
        do {
            // Only the right password learns that the account is stopped, and how to get it back.
            try await stores.restrictions.ensureCanSignIn(accountId: account.id)
            let evaluation = try await database.transaction { stores in
                try await risk.evaluateSignIn(accountId: account.id, identifier: identifier, deviceHash: deviceHash,
                                              origin: origin, in: stores)
            }
            if evaluation.enforced, let reason = evaluation.reason {
                throw KeywardError.accountRestricted(reason: reason)
            }
            approveDevice = evaluation.enforced && evaluation.decision == .approveDevice
        } catch let stopped as KeywardError where stopped.status == 403 {
            try await guesses.release(scope, in: stores)
            try await recordFailure(accountId: account.id, reason: stopped.code, origin: origin)
            throw stopped
        } catch {
            try? await guesses.release(scope, in: stores)
            throw error
        }
        let deviceApproval: Bool? = approveDevice ? true : nil
        return try await database.transaction { stores in
            let now = clock.now()
            // A rehash is an upgrade, not a condition: if the pool was busy it waits for the next sign-in.
            try await credentials.consume(proof, origin: origin, in: stores)
            // The right password is neither a failure nor yet a success: the second factor decides.
            try await guesses.release(scope, in: stores)
            let deviceName = device.name.map { String($0.prefix(100)) }
            let challenge = try await step.open(SignInFlow.self, accountId: account.id, identifier: identifier,
                                                lifetime: flowLifetime, context: { methods in
                SignInFlow.Context(scope: scope.storedName, deviceHash: deviceHash, deviceName: deviceName,
                                   offered: FlowList(methods), approveDevice: deviceApproval)
            }, in: stores)
            try await stores.audit.record(AuditEvent(
                kind: .secondFactorRequired, outcome: .success, accountId: account.id, origin: origin, at: now,
                details: ["flowId": challenge.flowId, "methods": challenge.options.map(\.method.rawValue).joined(separator: ",")]))
            return challenge
        }
    }

    /// Sends a sign-in code on `channel` (`email` or `sms`) for the login flow; returns when another
    /// may be asked for. Throws the flow's errors, `second_factor.method_unavailable`,
    /// `code.resend_too_soon` or `rate_limited`.
    public func sendCode(flowId: String, channel: String, origin: RequestOrigin) async throws -> Date {
        let flow = try await step.waitingFlow(flowId, as: SignInFlow.self)
        try await step.ensureNotLocked(Self.scope(of: flow))
        return try await step.sendCode(flow: flow, channel: channel, reason: .signIn, origin: origin)
    }

    /// Finishes the sign-in with the second factor and issues the session; a sign-in from a place
    /// the account is not used from is audited as unfamiliar and warned of on every channel. When
    /// risk control asked for the device to be approved, the right second factor instead sends the
    /// approval code and the flow waits for it (``approveDevice(flowId:code:origin:)``). Throws the
    /// flow's errors, `device_approval.pending`, `second_factor.method_invalid`/`_unavailable`, the
    /// code's or authenticator's errors, `account.restricted`/`account.frozen`, or `account.locked`
    /// when this failure (or an earlier one) locked the account.
    public func verify(flowId: String, method: String, code: String, origin: RequestOrigin) async throws -> SignInOutcome {
        let flow = try await step.waitingFlow(flowId, as: SignInFlow.self)
        guard let accountId = flow.accountId else { throw KeywardError.flowNotFound }
        try await database.stores.restrictions.ensureCanSignIn(accountId: accountId)
        let scope = Self.scope(of: flow)
        let proof = try await step.check(flow: flow, method: method, code: code, scope: scope, origin: origin)
        return try await database.transaction { stores in
            let deviceHash = flow.context.deviceHash
            if flow.context.approveDevice == true,
               let destination = try await approvals.destination(accountId: accountId, accepted: proof.method, in: stores) {
                try await step.consume(proof, origin: origin, in: stores)
                var context = flow.context
                context.acceptedMethod = proof.method
                let waiting = try await stores.flows.advance(flow, from: .secondFactorRequired, to: .deviceApprovalRequired,
                                                             context: context, at: clock.now())
                // The second factor was right: its failures are cleared; approval codes count afresh.
                try await guesses.recordSuccess(scope, deviceHash: nil, in: stores)
                try await stores.audit.record(AuditEvent(
                    kind: .deviceApprovalRequired, outcome: .success, accountId: accountId, origin: origin, at: clock.now(),
                    details: ["flowId": flow.id, "method": proof.method.rawValue, "channel": destination.channel.rawValue]))
                try await approvals.send(flow: waiting.record, to: destination, deviceName: flow.context.deviceName,
                                         origin: origin, in: stores)
                return .deviceApprovalRequired(DeviceApprovalRequest(flowId: flow.id, channel: destination.channel,
                                                                     destination: destination.masked))
            }
            return .signedIn(try await completion.finish(accountId: accountId, flowId: flow.id, method: proof.method,
                                                         deviceHash: deviceHash, deviceName: flow.context.deviceName,
                                                         origin: origin, in: stores) {
                try await step.complete(flow, proof: proof, scope: scope, deviceHash: deviceHash, origin: origin, in: stores)
            })
        }
    }

    /// Where the approval code of a sign-in waiting for its device's approval went. Throws the
    /// flow's errors or `device_approval.not_pending`.
    public func pendingApproval(flowId: String) async throws -> DeviceApprovalRequest {
        let flow = try await database.stores.flows.load(flowId, as: SignInFlow.self, in: .deviceApprovalRequired,
                                                        now: clock.now())
        guard let accountId = flow.accountId, let method = flow.context.acceptedMethod,
              let destination = try await approvals.destination(accountId: accountId, accepted: method, in: database.stores)
        else { throw KeywardError.flowNotFound }
        return DeviceApprovalRequest(flowId: flow.id, channel: destination.channel, destination: destination.masked)
    }

    /// Approves the new device of a sign-in waiting for it with the code sent, remembers the device
    /// and issues the session. The owner approved it from their own inbox, so no new sign-in
    /// notice follows. Wrong codes count toward the sign-in lockout. Throws the flow's errors,
    /// `device_approval.not_pending`, `code.invalid`, `code.exhausted`, `code.expired`,
    /// `account.restricted`/`account.frozen` or `account.locked`.
    public func approveDevice(flowId: String, code entered: String, origin: RequestOrigin) async throws -> SignInSucceeded {
        let flow = try await database.stores.flows.load(flowId, as: SignInFlow.self, in: .deviceApprovalRequired,
                                                        now: clock.now())
        guard let accountId = flow.accountId, let method = flow.context.acceptedMethod else { throw KeywardError.flowNotFound }
        let scope = Self.scope(of: flow)
        try await step.ensureNotLocked(scope)
        try await database.stores.restrictions.ensureCanSignIn(accountId: accountId)
        let code = try await guesses.guess(scope, origin: origin, in: database) {
            try await approvals.check(entered, flow: flow.record, origin: origin, in: database.stores)
        }
        return try await database.transaction { stores in
            let deviceHash = flow.context.deviceHash
            return try await completion.finish(accountId: accountId, flowId: flow.id, method: method, deviceHash: deviceHash,
                                               deviceName: flow.context.deviceName, origin: origin, warn: false,
                                               in: stores) {
                try await approvals.consume(code, in: stores)
                try await stores.flows.advance(flow, from: .deviceApprovalRequired, to: .completed, at: clock.now())
                try await guesses.recordSuccess(scope, deviceHash: deviceHash, in: stores)
            }
        }
    }

    /// The login flow `id` still waiting, with the options it offers and, for code methods, whether a
    /// code was sent and when the next may be. Throws `account.locked` once the account is locked.
    public func pending(flowId: String) async throws -> SecondFactorPending {
        let flow = try await step.waitingFlow(flowId, as: SignInFlow.self)
        try await step.ensureNotLocked(Self.scope(of: flow))
        return try await step.pending(flow)
    }

    /// The guess scope the sign-in's password was counted in, which its second factor counts in too.
    private static func scope(of flow: LoadedFlow<SignInFlow>) -> GuessScope {
        GuessScope(accountId: flow.accountId ?? "", storedName: flow.context.scope)
    }

    /// Runs a rate-limit check, auditing a refusal on `accountId`, or on the account `owner` names.
    private func limited(accountId: String?, owner: Identifier? = nil, origin: RequestOrigin,
                         _ check: () async throws -> Void) async throws {
        do {
            try await check()
        } catch let error as KeywardError where error.code == "rate_limited" {
            var accountId = accountId
            if accountId == nil, let owner { accountId = try await database.stores.accounts.find(identifier: owner)?.id }
            try await database.stores.audit.record(AuditEvent(
                kind: .rateLimited, outcome: .failure, accountId: accountId, origin: origin, at: clock.now(),
                details: ["action": "signin", "retryAfter": String(error.retryAfter ?? 0)]))
            throw error
        }
    }

    private func recordFailure(accountId: String?, reason: String, origin: RequestOrigin) async throws {
        try await database.stores.audit.record(AuditEvent(
            kind: .loginFailed, outcome: .failure, accountId: accountId, origin: origin, at: clock.now(),
            details: ["reason": reason]))
    }
}
