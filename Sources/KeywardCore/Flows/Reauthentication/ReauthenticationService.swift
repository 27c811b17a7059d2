public import Foundation

/// Password and second factor entered again, within a signed-in session, before a sensitive
/// change. A success marks the session re-authenticated; sensitive calls accept it for
/// ``freshness`` seconds (signing in with both factors counts too).
///
/// Wrong passwords and wrong second factors count toward the account's sign-in lockout, so a
/// stolen session cannot be used to guess either.
public struct ReauthenticationService: Sendable {
    private let database: any KeywardDatabase
    private let credentials: CredentialMethods
    private let guesses: GuessCounter
    private let step: SecondFactorStep
    private let clock: any KeywardClock
    /// How long a re-authentication allows sensitive changes (default 5 minutes).
    public let freshness: TimeInterval
    /// How long the second step may take (default 10 minutes).
    public let flowLifetime: TimeInterval


    /// A service over the given parts.
    public init(database: any KeywardDatabase, credentials: CredentialMethods, guesses: GuessCounter,
                step: SecondFactorStep, clock: any KeywardClock, freshness: TimeInterval = 300,
                flowLifetime: TimeInterval = 600) {
        self.database = database
        self.credentials = credentials
        self.guesses = guesses
        self.step = step
        self.clock = clock
        self.freshness = freshness
        self.flowLifetime = flowLifetime
    }

    /// Checks the password of the session's account and opens the second step. Throws
    /// `password.incorrect`, `account.locked` or `rate_limited`.
    public func start(session: Session, password: String, origin: RequestOrigin) async throws -> SecondFactorChallenge {
        try await checkPassword(accountId: session.accountId, password: password, origin: origin)
        return try await database.transaction { stores in
            try await guesses.release(.account(accountId: session.accountId), in: stores)
            return try await step.open(ReauthenticationFlow.self, accountId: session.accountId, identifier: nil,
                                       lifetime: flowLifetime, context: { methods in
                ReauthenticationFlow.Context(sessionId: session.id, offered: FlowList(methods))
            }, in: stores)
        }
    }

    /// Sends a code on `channel` for the session's re-authentication flow.
    public func sendCode(session: Session, flowId: String, channel: String, origin: RequestOrigin) async throws -> Date {
        let flow = try await flow(flowId, of: session)
        try await step.ensureNotLocked(.account(accountId: session.accountId))
        return try await step.sendCode(flow: flow, channel: channel, reason: .confirmation, origin: origin)
    }

    /// Checks the second factor; on success the session is re-authenticated until the returned time.
    public func verify(session: Session, flowId: String, method: String, code: String, origin: RequestOrigin) async throws -> Date {
        let flow = try await flow(flowId, of: session)
        let proof = try await step.check(flow: flow, method: method, code: code, scope: .account(accountId: session.accountId),
                                         origin: origin)
        return try await database.transaction { stores in
            let now = clock.now()
            try await step.complete(flow, proof: proof, scope: .account(accountId: session.accountId), deviceHash: nil,
                                    origin: origin, in: stores)
            try await stores.sessions.markReauthenticated(id: session.id, at: now)
            try await stores.audit.record(AuditEvent(
                kind: .reauthenticated, outcome: .success, accountId: session.accountId, origin: origin, at: now,
                details: ["sessionId": session.id, "method": method]))
            return now.addingTimeInterval(freshness)
        }
    }

    /// The flow `id` still waiting, with its options and the state of its codes, for pages.
    public func pending(session: Session, flowId: String) async throws -> SecondFactorPending {
        let flow = try await flow(flowId, of: session)
        try await step.ensureNotLocked(.account(accountId: session.accountId))
        return try await step.pending(flow)
    }

    /// Until when the session may make sensitive changes, if it may now.
    public func freshUntil(_ session: Session) -> Date? {
        guard let at = session.reauthenticatedAt else { return nil }
        let until = at.addingTimeInterval(freshness)
        return until > clock.now() ? until : nil
    }

    /// Throws `reauth.required` unless the session re-authenticated within ``freshness``.
    public func requireFresh(_ session: Session) throws {
        if freshUntil(session) == nil { throw KeywardError.reauthRequired }
    }

    /// Checks the account's current password as a guess in its lockout counter; throws
    /// `password.incorrect` (or `account.locked` when this failure locks it). The guess stays
    /// counted on success; callers that go on to a second step release it.
    public func checkPassword(accountId: String, password: String, origin: RequestOrigin) async throws {
        let stores = database.stores
        guard try await stores.accounts.find(id: accountId)?.passwordHash != nil else { throw KeywardError.sessionRequired }
        let scope = GuessScope.account(accountId: accountId)
        let failureNumber = try await guesses.admit(scope, origin: origin, in: stores)
        let proof: CredentialProof
        do {
            proof = try await credentials.method(.password).verify(password, CredentialAttempt(accountId: accountId, origin: origin),
                                                                   in: stores)
        } catch let failure as KeywardError where failure.isWrongGuess {
            try await stores.audit.record(AuditEvent(
                kind: .loginFailed, outcome: .failure, accountId: accountId, origin: origin, at: clock.now(),
                details: ["reason": failure.code, "during": "reauthentication"]))
            if let until = try await guesses.recordFailure(scope, count: failureNumber, origin: origin, in: database) {
                throw KeywardError.accountLocked(until: until, now: clock.now())
            }
            throw failure
        } catch {
            try? await releaseGuess(accountId: accountId)
            throw error
        }
        try await credentials.consume(proof, origin: origin, in: stores)
    }

    /// Gives back the guess ``checkPassword(accountId:password:origin:)`` counted, when what follows a
    /// right password fails for another reason.
    public func releaseGuess(accountId: String) async throws {
        try await guesses.release(.account(accountId: accountId), in: database.stores)
    }

    private func flow(_ id: String, of session: Session) async throws -> LoadedFlow<ReauthenticationFlow> {
        let flow = try await step.waitingFlow(id, as: ReauthenticationFlow.self, accountId: session.accountId)
        guard flow.context.sessionId == session.id else { throw KeywardError.flowNotFound }
        return flow
    }
}
