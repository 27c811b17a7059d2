public import Foundation
import KeywardCrypto

/// What a second-factor step hands to the client: the flow to continue and the methods it accepts.
public struct SecondFactorChallenge: Sendable {
    /// The flow id the next calls name.
    public let flowId: String
    /// The methods accepted, with where codes would go.
    public let options: [SecondFactorOption]
    /// When the flow stops accepting anything.
    public let expiresAt: Date
    /// What the client needs before it can answer some methods (a passkey's challenge).
    public let prompts: [CredentialPrompt]
}

/// Where a waiting second step stands, for pages: the options, and for each code method whether a
/// code was sent in the flow and when the next may be.
public struct SecondFactorPending: Sendable {
    /// The methods offered, with where codes go.
    public let options: [SecondFactorOption]
    /// Code methods whose code was sent in this flow.
    public let sent: Set<SecondFactorMethod>
    /// When the next code for each code method may be sent.
    public let nextSendAt: [SecondFactorMethod: Date]
    /// Where the newest code of each code method sent in this flow stands: queued, retrying,
    /// accepted by the mail server or gateway, or given up. What tells "it left us at 06:04, look
    /// in spam" from "it has not left yet" when a code does not arrive.
    public let deliveries: [SecondFactorMethod: OutboxDelivery]
    /// What the client needs before it can answer some methods (a passkey's challenge).
    public let prompts: [CredentialPrompt]
}

/// The states of a flow waiting for a second factor: sign-in and re-authentication.
public enum SecondFactorState: String, Sendable {
    /// Waiting for one of the offered methods.
    case secondFactorRequired = "second_factor_required"
    /// A second factor was accepted.
    case completed
    /// The person said they can no longer use the second factor and opened a support case instead.
    case supportRequested = "support_requested"
    /// A sign-in's second factor was accepted, but its new device waits for approval with a code
    /// sent to the account's email address or phone.
    case deviceApprovalRequired = "device_approval_required"
}

/// The context of a flow with a second step: which methods it offered when it opened.
public protocol SecondFactorContext: Codable, Sendable {
    /// The methods offered.
    var methods: [SecondFactorMethod] { get }
}

/// The second step shared by sign-in and re-authentication: offers the account's methods, sends
/// codes for them, checks what the person enters, and counts every wrong entry toward the sign-in
/// lockout, so that knowing the password does not buy unlimited guesses at the second factor.
public struct SecondFactorStep: Sendable {
    private let database: any KeywardDatabase
    private let codes: OneTimeCodes
    private let credentials: CredentialMethods
    private let guesses: GuessCounter
    private let clock: any KeywardClock

    /// A step over the given parts.
    public init(database: any KeywardDatabase, codes: OneTimeCodes, credentials: CredentialMethods,
                guesses: GuessCounter, clock: any KeywardClock) {
        self.database = database
        self.codes = codes
        self.credentials = credentials
        self.guesses = guesses
        self.clock = clock
    }

    /// The account's login policy as stored now.
    public func policy(accountId: String, in stores: any KeywardStores) async throws -> AccountFactors {
        try await AccountFactors.load(accountId: accountId, in: stores)
    }

    /// The methods the second step asks of an account with `factors`, in the order pages offer them.
    ///
    /// The rule: an account with a factor it holds (its authenticator app) signs in with it; an
    /// account without one confirms a code sent to its verified email address or phone number.
    /// Every active account therefore has a second step, since registration verifies at least one
    /// identifier. Its recovery codes, while any remain, are accepted in place of either.
    public func required(for factors: AccountFactors) -> [SecondFactorOption] {
        let offers = credentials.offers(for: factors)
        let backups = offers.filter { $0.method == .recoveryCode }
        let main = offers.filter { $0.method != .recoveryCode }
        let held = main.filter { $0.method.channel == nil }
        return (held.isEmpty ? main : held) + backups
    }

    /// Every method an account with `factors` holds, in the order pages offer them.
    public func offers(for factors: AccountFactors) -> [SecondFactorOption] {
        credentials.offers(for: factors)
    }

    /// Opens a flow of kind `K` for the account, waiting for one of its required methods, with the
    /// context `context` makes of the methods offered. Throws `second_factor.unavailable` when the
    /// account has none.
    public func open<K: FlowKind>(_ kind: K.Type, accountId: String, identifier: Identifier?, lifetime: TimeInterval,
                                  context: ([SecondFactorMethod]) -> K.Context,
                                  in stores: any KeywardStores) async throws -> SecondFactorChallenge
    where K.State == SecondFactorState {
        let options = required(for: try await policy(accountId: accountId, in: stores))
        guard !options.isEmpty else { throw KeywardError.secondFactorUnavailable }
        let flow = try await stores.flows.start(K.self, id: SecureRandom.uuid(), state: .secondFactorRequired,
                                                accountId: accountId, identifier: identifier, at: clock.now(),
                                                lifetime: lifetime, context: context(options.map(\.method)))
        let prompts = try await credentials.prompts(for: options.map(\.method), flow: flow.record, in: stores)
        return SecondFactorChallenge(flowId: flow.id, options: options, expiresAt: flow.expiresAt, prompts: prompts)
    }

    /// The flow `id` of kind `K` still waiting for its second factor, optionally only if it belongs to
    /// `accountId`. Throws the kind's not-found, expired or completed error.
    public func waitingFlow<K: FlowKind>(_ id: String, as kind: K.Type, accountId: String? = nil) async throws -> LoadedFlow<K>
    where K.State == SecondFactorState {
        let flow = try await database.stores.flows.load(id, as: K.self, in: .secondFactorRequired, accountId: accountId,
                                                        now: clock.now())
        guard flow.accountId != nil else { throw K.notFound }
        return flow
    }

    /// The options the flow offers, with where codes go now.
    public func options<K: FlowKind>(of flow: LoadedFlow<K>) async throws -> [SecondFactorOption] where K.Context: SecondFactorContext {
        guard let accountId = flow.accountId else { return [] }
        let offered = flow.context.methods
        return offers(for: try await policy(accountId: accountId, in: database.stores)).filter { offered.contains($0.method) }
    }

    /// Whether a code for `method` was sent in this flow, and when the next may be: after this flow's
    /// last code, or, before it sent any, after the last code to the same address by any flow.
    public func codeStatus(flow: Flow, method: SecondFactorMethod) async throws -> (sent: VerificationCode?, nextAt: Date) {
        let stores = database.stores
        if let latest = try await stores.codes.latest(flowId: flow.id, purpose: method.rawValue) {
            return (latest, codes.resendAvailableAt(after: latest.createdAt))
        }
        guard let accountId = flow.accountId, let channel = method.channel,
              let destination = try await policy(accountId: accountId, in: stores).destination(for: channel),
              let last = try await stores.codes.lastSent(destination: destination.value)
        else { return (nil, clock.now()) }
        return (nil, codes.resendAvailableAt(after: last))
    }

    /// The options of a waiting flow and the state of its codes.
    public func pending<K: FlowKind>(_ flow: LoadedFlow<K>) async throws -> SecondFactorPending where K.Context: SecondFactorContext {
        let options = try await options(of: flow)
        var sent: Set<SecondFactorMethod> = []
        var next: [SecondFactorMethod: Date] = [:]
        var deliveries: [SecondFactorMethod: OutboxDelivery] = [:]
        for option in options where option.method.channel != nil {
            let status = try await codeStatus(flow: flow.record, method: option.method)
            if let code = status.sent {
                sent.insert(option.method)
                deliveries[option.method] = try await database.stores.outbox.delivery(id: code.id)
            }
            next[option.method] = status.nextAt
        }
        let prompts = try await credentials.prompts(for: options.map(\.method), flow: flow.record, in: database.stores)
        return SecondFactorPending(options: options, sent: sent, nextSendAt: next, deliveries: deliveries, prompts: prompts)
    }

    /// Throws `account.locked` while the flow's guess `scope` is locked: a sign-in that ran into
    /// the lock is over, and no code is sent for it.
    public func ensureNotLocked(_ scope: GuessScope) async throws {
        try await guesses.ensureNotLocked(scope, in: database.stores)
    }

    /// Sends a code on `channel` (`email` or `sms`) for the flow, within the sending limits.
    /// Returns when another may be asked for.
    public func sendCode<K: FlowKind>(flow: LoadedFlow<K>, channel raw: String, reason: MessageComposer.CodeReason,
                                      origin: RequestOrigin) async throws -> Date where K.Context: SecondFactorContext {
        guard let channel = DeliveryChannel(rawValue: raw) else { throw KeywardError.requestInvalidField("channel") }
        let method = SecondFactorMethod(channel: channel)
        guard let accountId = flow.accountId, flow.context.methods.contains(method) else {
            throw KeywardError.secondFactorMethodUnavailable
        }
        let factors = try await policy(accountId: accountId, in: database.stores)
        return try await credentials.method(method).send(CredentialAttempt(flow: flow.record, factors: factors, origin: origin),
                                                         reason: reason, in: database)
    }

    /// Checks `entered` for `method`, counting the check as a guess in the lockout `scope` first; a
    /// wrong entry is recorded as a failure and may place the lock (`account.locked`).
    public func check<K: FlowKind>(flow: LoadedFlow<K>, method raw: String, code entered: String, scope: GuessScope,
                                   origin: RequestOrigin) async throws -> CredentialProof where K.Context: SecondFactorContext {
        let method = try SecondFactorMethod.parse(raw)
        guard flow.accountId != nil, flow.context.methods.contains(method) else {
            throw KeywardError.secondFactorMethodUnavailable
        }
        return try await guesses.guess(scope, origin: origin, in: database) {
            try await verify(flow: flow, method: method, code: entered, origin: origin)
        }
    }

    /// Checks `entered` for `method` without counting it anywhere (callers count it in their own
    /// counter first), auditing a wrong entry. Throws the method's errors, or
    /// `second_factor.method_unavailable`.
    public func verify<K: FlowKind>(flow: LoadedFlow<K>, method: SecondFactorMethod, code entered: String,
                                    origin: RequestOrigin) async throws -> CredentialProof where K.Context: SecondFactorContext {
        guard let accountId = flow.accountId, flow.context.methods.contains(method) else {
            throw KeywardError.secondFactorMethodUnavailable
        }
        let stores = database.stores
        let attempt = CredentialAttempt(flow: flow.record, factors: try await policy(accountId: accountId, in: stores),
                                        origin: origin)
        return try await credentials.verify(method, entered, attempt, in: stores)
    }

    /// Uses a checked proof up, inside the transaction that acts on it.
    public func consume(_ proof: CredentialProof, origin: RequestOrigin, in stores: any KeywardStores) async throws {
        try await credentials.consume(proof, origin: origin, in: stores)
    }

    /// Inside the transaction that acts on a checked factor: uses the proof up, moves the flow to
    /// completed (`flow.completed` when a parallel request finished it first), and clears the
    /// scope's failures.
    public func complete<K: FlowKind>(_ flow: LoadedFlow<K>, proof: CredentialProof, scope: GuessScope, deviceHash: String?,
                                      origin: RequestOrigin, in stores: any KeywardStores) async throws
    where K.State == SecondFactorState {
        try await consume(proof, origin: origin, in: stores)
        try await stores.flows.advance(flow, from: .secondFactorRequired, to: .completed, at: clock.now())
        try await guesses.recordSuccess(scope, deviceHash: deviceHash, in: stores)
    }
}
