public import Foundation
import KeywardCrypto

/// The options a passkey sign-in starts with.
public struct PasskeySignInStarted: Sendable {
    /// The flow the answer goes back to.
    public let flowId: String
    /// What `navigator.credentials.get()` needs.
    public let options: PasskeyRequestOptions
    /// When the flow stops accepting an answer.
    public let expiresAt: Date
}

/// Signing in with a passkey alone: no identifier, no password. The passkey proves both the
/// account and, with user verification required, the person, so it stands for both factors.
///
/// It goes through the same gates as a password sign-in: the client IP's sign-in limit, the
/// account's and device's lock (a wrong assertion by a known passkey is a wrong guess there),
/// and the end every sign-in shares, with its new-sign-in alerts.
public struct PasskeySignInService: Sendable {
    private let database: any KeywardDatabase
    private let relyingParty: PasskeyRelyingParty
    private let credentials: CredentialMethods
    private let guesses: GuessCounter
    private let limiter: RateLimiter
    private let limits: RateLimitSettings
    private let completion: SignInCompletion
    private let clock: any KeywardClock

    /// A service over the given parts.
    public init(database: any KeywardDatabase, relyingParty: PasskeyRelyingParty, credentials: CredentialMethods,
                sessions: SessionService,
                guesses: GuessCounter, limits: RateLimitSettings, recognition: SignInRecognition, clock: any KeywardClock) {
        self.database = database
        self.relyingParty = relyingParty
        self.credentials = credentials
        self.guesses = guesses
        self.limiter = RateLimiter(clock: clock)
        self.limits = limits
        self.completion = SignInCompletion(sessions: sessions, recognition: recognition, clock: clock)
        self.clock = clock
    }

    /// Opens a passkey sign-in and returns its options, which let the person choose any passkey
    /// they hold for this site. Throws `rate_limited`.
    public func start(origin: RequestOrigin) async throws -> PasskeySignInStarted {
        try await limitClient(origin)
        let flow = try await database.stores.flows.start(
            PasskeySignInFlow.self, id: SecureRandom.uuid(), state: .waiting, accountId: nil, identifier: nil,
            at: clock.now(), lifetime: relyingParty.timeout, context: NoFlowContext())
        return PasskeySignInStarted(flowId: flow.id, options: relyingParty.requestOptions(flowId: flow.id, passkeys: []),
                                    expiresAt: flow.expiresAt)
    }

    /// Signs in with the assertion `credential` answered in flow `flowId`. Throws `rate_limited`,
    /// the flow's errors, `passkey.invalid`, `passkey.unknown` (no account has the passkey), the
    /// assertion's errors, or `account.locked`.
    public func finish(flowId: String, credential: PasskeyCredentialJSON, device: SignInDevice,
                       origin: RequestOrigin) async throws -> SignInSucceeded {
        try await limitClient(origin)
        let stores = database.stores
        let flow = try await stores.flows.load(flowId, as: PasskeySignInFlow.self, in: .waiting, now: clock.now())
        let assertion = try PasskeyAssertionInput(credential)
        guard let passkey = try await stores.passkeys.find(credentialId: assertion.credentialId),
              let account = try await stores.accounts.find(id: passkey.accountId), account.status == .active
        else {
            try await audit(.loginFailed, accountId: nil, reason: KeywardError.passkeyUnknown.code, origin: origin)
            throw KeywardError.passkeyUnknown
        }
        let scope = try await guesses.scope(accountId: account.id, deviceId: device.id, in: stores)
        let use: WebAuthnAssertion
        do {
            use = try await guesses.guess(scope, origin: origin, in: database) {
                try await PasskeyCredential.check(assertion, by: passkey, flowId: flow.id, relyingParty: relyingParty,
                                                  origin: origin, at: clock.now(), in: stores)
            }
        } catch let failure as KeywardError {
            try await audit(.loginFailed, accountId: account.id, reason: failure.code, origin: origin)
            throw failure
        }
        do {
            try await stores.restrictions.ensureCanSignIn(accountId: account.id)
        } catch let stopped as KeywardError {
            try await guesses.release(scope, in: stores)
            try await audit(.loginFailed, accountId: account.id, reason: stopped.code, origin: origin)
            throw stopped
        }
        let deviceHash = guesses.deviceHash(device.id), deviceName = device.name.map { String($0.prefix(100)) }
        return try await database.transaction { stores in
            try await completion.finish(accountId: account.id, flowId: flow.id, method: .passkey, deviceHash: deviceHash,
                                        deviceName: deviceName, origin: origin, in: stores) {
                try await stores.flows.advance(flow, from: .waiting, to: .completed, at: clock.now())
                try await credentials.consume(CredentialProof(method: .passkey, accountId: account.id, reference: passkey.id,
                                                              passkeyUse: use), origin: origin, in: stores)
                try await guesses.recordSuccess(scope, deviceHash: deviceHash, in: stores)
            }
        }
    }

    private func limitClient(_ origin: RequestOrigin) async throws {
        guard let ip = origin.ip else { return }
        do {
            try await limiter.check([("signin:ip:\(ip)", limits.signInsPerIP)], in: database.stores)
        } catch let error as KeywardError where error.code == "rate_limited" {
            try await audit(.rateLimited, accountId: nil, reason: nil, origin: origin, action: "passkey_signin")
            throw error
        }
    }

    private func audit(_ kind: AuditEvent.Kind, accountId: String?, reason: String?, origin: RequestOrigin,
                       action: String? = nil) async throws {
        var details: [String: String] = ["method": SecondFactorMethod.passkey.rawValue]
        details["reason"] = reason
        details["action"] = action
        try await database.stores.audit.record(AuditEvent(
            kind: kind, outcome: .failure, accountId: accountId, origin: origin, at: clock.now(), details: details))
    }
}
