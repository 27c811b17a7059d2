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
}

/// A checked second factor, consumed by ``SecondFactorStep/complete(_:proof:scope:deviceHash:in:)``
/// in the transaction that acts on it.
public enum SecondFactorProof: Sendable {
    /// A one-time code, still to be marked used.
    case code(VerificationCode)
    /// An authenticator code, whose time step is already claimed.
    case authenticator
}

/// The second step shared by sign-in and re-authentication: offers the account's methods, sends
/// codes for them, checks what the person enters, and counts every wrong entry toward the sign-in
/// lockout, so that knowing the password does not buy unlimited guesses at the second factor.
public struct SecondFactorStep: Sendable {
    private let database: any KeywardDatabase
    private let codes: OneTimeCodes
    private let authenticators: Authenticators
    private let guesses: GuessCounter
    private let clock: any KeywardClock

    /// The state of a flow waiting for its second factor.
    public static let waiting = "second_factor_required"
    /// The state of a flow whose second factor was accepted.
    public static let completed = "completed"

    /// A step over the given parts.
    public init(database: any KeywardDatabase, codes: OneTimeCodes, authenticators: Authenticators,
                guesses: GuessCounter, clock: any KeywardClock) {
        self.database = database
        self.codes = codes
        self.authenticators = authenticators
        self.guesses = guesses
        self.clock = clock
    }

    /// The account's login policy as stored now.
    public func policy(accountId: String, in stores: any KeywardStores) async throws -> LoginPolicy {
        let identifiers = try await stores.accounts.identifiers(accountId: accountId)
        let authenticator = try await stores.authenticators.find(accountId: accountId, state: .active)
        return LoginPolicy(identifiers: identifiers, authenticator: authenticator != nil)
    }

    /// Opens a flow of `kind` for the account, waiting for one of its required methods. Throws
    /// `second_factor.unavailable` when the account has none.
    public func open(kind: Flow.Kind, accountId: String, identifier: Identifier?, lifetime: TimeInterval,
                     payload: [String: String], in stores: any KeywardStores) async throws -> SecondFactorChallenge {
        let options = try await policy(accountId: accountId, in: stores).required
        guard !options.isEmpty else { throw KeywardError.secondFactorUnavailable }
        let now = clock.now()
        var payload = payload
        payload["methods"] = options.map(\.method.rawValue).joined(separator: ",")
        let flow = Flow(id: SecureRandom.uuid(), kind: kind, state: Self.waiting, accountId: accountId,
                        identifier: identifier, createdAt: now, updatedAt: now,
                        expiresAt: now.addingTimeInterval(lifetime), payload: payload)
        try await stores.flows.insert(flow)
        return SecondFactorChallenge(flowId: flow.id, options: options, expiresAt: flow.expiresAt)
    }

    /// The flow `id` of `kind` still waiting for its second factor, optionally only if it belongs to
    /// `accountId`. Throws `flow.not_found`, `flow.expired` or `flow.completed`.
    public func waitingFlow(id: String, kind: Flow.Kind, accountId: String? = nil) async throws -> Flow {
        guard let flow = try await database.stores.flows.find(id: id), flow.kind == kind, flow.accountId != nil,
              accountId == nil || flow.accountId == accountId
        else { throw KeywardError.flowNotFound }
        if flow.state == Self.completed { throw KeywardError.flowCompleted }
        if flow.state != Self.waiting || flow.expiresAt <= clock.now() { throw KeywardError.flowExpired }
        return flow
    }

    /// The options the flow offers, with where codes go now.
    public func options(of flow: Flow) async throws -> [SecondFactorOption] {
        guard let accountId = flow.accountId else { return [] }
        let offered = Self.methods(of: flow)
        return try await policy(accountId: accountId, in: database.stores).required.filter { offered.contains($0.method) }
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
    public func pending(_ flow: Flow) async throws -> SecondFactorPending {
        let options = try await options(of: flow)
        var sent: Set<SecondFactorMethod> = []
        var next: [SecondFactorMethod: Date] = [:]
        var deliveries: [SecondFactorMethod: OutboxDelivery] = [:]
        for option in options where option.method.channel != nil {
            let status = try await codeStatus(flow: flow, method: option.method)
            if let code = status.sent {
                sent.insert(option.method)
                deliveries[option.method] = try await database.stores.outbox.delivery(id: code.id)
            }
            next[option.method] = status.nextAt
        }
        return SecondFactorPending(options: options, sent: sent, nextSendAt: next, deliveries: deliveries)
    }

    /// Throws `account.locked` while the flow's guess `scope` is locked: a sign-in that ran into
    /// the lock is over, and no code is sent for it.
    public func ensureNotLocked(_ scope: GuessScope) async throws {
        try await guesses.ensureNotLocked(scope, in: database.stores)
    }

    /// Sends a code on `channel` (`email` or `sms`) for the flow, within the sending limits.
    /// Returns when another may be asked for.
    public func sendCode(flow: Flow, channel raw: String, reason: MessageComposer.CodeReason,
                         origin: RequestOrigin) async throws -> Date {
        guard let channel = DeliveryChannel(rawValue: raw) else { throw KeywardError.requestInvalidField("channel") }
        let method = SecondFactorMethod(channel: channel)
        guard let accountId = flow.accountId, Self.methods(of: flow).contains(method),
              let destination = try await policy(accountId: accountId, in: database.stores).destination(for: channel)
        else { throw KeywardError.secondFactorMethodUnavailable }
        try await codes.checkSendLimits(to: destination, accountId: accountId, origin: origin, in: database)
        return try await database.transaction { stores in
            try await codes.send(for: flow, purpose: method.rawValue, to: destination, reason: reason, origin: origin, in: stores)
        }
    }

    /// Checks `entered` for `method`, counting the check as a guess in the lockout `scope` first; a
    /// wrong entry is recorded as a failure and may place the lock (`account.locked`).
    public func check(flow: Flow, method raw: String, code entered: String, scope: GuessScope,
                      origin: RequestOrigin) async throws -> SecondFactorProof {
        let method = try SecondFactorMethod.parse(raw)
        guard flow.accountId != nil, Self.methods(of: flow).contains(method) else {
            throw KeywardError.secondFactorMethodUnavailable
        }
        return try await guesses.guess(scope, origin: origin, in: database) {
            try await verify(flow: flow, method: method, code: entered, origin: origin)
        }
    }

    /// Checks `entered` for `method` without counting it anywhere (callers count it in their own
    /// counter first), auditing a wrong entry. Throws the code's or the authenticator's errors, or
    /// `second_factor.method_unavailable`.
    public func verify(flow: Flow, method: SecondFactorMethod, code entered: String,
                       origin: RequestOrigin) async throws -> SecondFactorProof {
        guard let accountId = flow.accountId, Self.methods(of: flow).contains(method) else {
            throw KeywardError.secondFactorMethodUnavailable
        }
        let stores = database.stores
        do {
            switch method {
            case .totp:
                guard let authenticator = try await stores.authenticators.find(accountId: accountId, state: .active) else {
                    throw KeywardError.secondFactorMethodUnavailable
                }
                try await authenticators.verify(entered, authenticator: authenticator, in: stores)
                return .authenticator
            case .emailCode, .smsCode:
                guard try await stores.codes.latest(flowId: flow.id, purpose: method.rawValue) != nil else {
                    throw KeywardError.secondFactorCodeNotSent
                }
                return .code(try await codes.check(entered, flow: flow, purpose: method.rawValue, origin: origin, in: stores))
            }
        } catch let failure as KeywardError where failure.isWrongGuess {
            try await stores.audit.record(AuditEvent(
                kind: .secondFactorFailed, outcome: .failure, accountId: accountId, origin: origin, at: clock.now(),
                details: ["flowId": flow.id, "method": method.rawValue, "reason": failure.code]))
            throw failure
        }
    }

    /// Marks a checked one-time code used, inside the transaction that acts on it (an authenticator
    /// code's step is already claimed).
    public func consume(_ proof: SecondFactorProof, in stores: any KeywardStores) async throws {
        if case .code(let code) = proof { try await codes.consume(code, in: stores) }
    }

    /// Inside the transaction that acts on a checked factor: uses the proof up, moves the flow to
    /// completed (`flow.completed` when a parallel request finished it first), and clears the
    /// scope's failures.
    public func complete(_ flow: Flow, proof: SecondFactorProof, scope: GuessScope, deviceHash: String?,
                         in stores: any KeywardStores) async throws {
        try await consume(proof, in: stores)
        guard try await stores.flows.transition(id: flow.id, from: Self.waiting, to: Self.completed, at: clock.now())
        else { throw KeywardError.flowCompleted }
        try await guesses.recordSuccess(scope, deviceHash: deviceHash, in: stores)
    }

    /// The methods a flow was opened with.
    public static func methods(of flow: Flow) -> [SecondFactorMethod] {
        (flow.payload["methods"] ?? "").split(separator: ",").compactMap { SecondFactorMethod(rawValue: String($0)) }
    }
}
