public import Foundation
public import KeywardCrypto

/// A checked proof, used up by ``CredentialMethods/consume(_:origin:in:)`` in the transaction that
/// acts on it.
public struct CredentialProof: Sendable {
    /// The method that checked it.
    public let method: SecondFactorMethod
    /// The account it proved.
    public let accountId: String?
    /// The one-time code to mark used, for code methods.
    public let code: VerificationCode?
    /// The stored record to use up, for methods that keep one per proof (a recovery code's id, a
    /// passkey's id).
    public let reference: String?
    /// The counter and backup state a passkey reported, recorded when the proof is used up.
    public let passkeyUse: WebAuthnAssertion?
    /// A fresh hash of a right password whose stored hash is outdated, stored when the proof is used up.
    public let freshPasswordHash: String?

    /// A proof from `method` for `accountId`, with what it matched.
    public init(method: SecondFactorMethod, accountId: String? = nil, code: VerificationCode? = nil,
                reference: String? = nil, passkeyUse: WebAuthnAssertion? = nil, freshPasswordHash: String? = nil) {
        self.method = method
        self.accountId = accountId
        self.code = code
        self.reference = reference
        self.passkeyUse = passkeyUse
        self.freshPasswordHash = freshPasswordHash
    }
}

/// What the client needs before it can answer a method, handed out with the step that offers it.
public enum CredentialPrompt: Sendable, Equatable {
    /// The options for `navigator.credentials.get()`.
    case passkey(PasskeyRequestOptions)
}

/// What a method checking or sending is told: the account, the flow the proof is for (none for
/// the password, which comes before any), the account's factors, and where the request came from.
public struct CredentialAttempt: Sendable {
    /// The account to prove.
    public let accountId: String?
    /// The flow the proof is for; codes and passkey challenges are bound to it.
    public let flow: Flow?
    /// The account's bound factors now.
    public let factors: AccountFactors
    /// Where the request came from.
    public let origin: RequestOrigin

    /// An attempt in `flow` for an account with `factors`, from `origin`.
    public init(flow: Flow, factors: AccountFactors, origin: RequestOrigin) {
        self.accountId = flow.accountId
        self.flow = flow
        self.factors = factors
        self.origin = origin
    }

    /// An attempt for `accountId` outside any flow (its password), from `origin`; the account's
    /// factors are not needed for it unless given.
    public init(accountId: String, factors: AccountFactors = AccountFactors(email: nil, phone: nil, authenticator: false),
                origin: RequestOrigin) {
        self.accountId = accountId
        self.flow = nil
        self.factors = factors
        self.origin = origin
    }

    /// The flow, for methods bound to one; `second_factor.method_unavailable` without.
    public func requireFlow() throws(KeywardError) -> Flow {
        guard let flow else { throw .secondFactorMethodUnavailable }
        return flow
    }
}

/// One way to prove a person holds an account: the password, an email code, an SMS code, an
/// authenticator app, a passkey, a recovery code. Flows ask which methods an account can use and hand what the person
/// entered to the method; none of them knows how a method works inside. A method never counts
/// guesses itself: the flow checks it as one admitted guess in its ``GuessScope``.
public protocol CredentialMethod: Sendable {
    /// The method's name in requests.
    var method: SecondFactorMethod { get }

    /// The option shown for an account with `factors` (with where a code would go), or `nil` when
    /// the account cannot use this method.
    func offer(for factors: AccountFactors) -> SecondFactorOption?

    /// Sends what the person needs to answer, within the sending limits; returns when another may
    /// be asked for. Methods that send nothing throw `second_factor.method_unavailable`.
    func send(_ attempt: CredentialAttempt, reason: MessageComposer.CodeReason,
              in database: any KeywardDatabase) async throws -> Date

    /// What the client needs before it can answer in `flow` (a passkey's challenge), or `nil`.
    func prompt(flow: Flow, in stores: any KeywardStores) async throws -> CredentialPrompt?

    /// Checks `entered`, throwing the method's wrong-guess errors (``KeywardError/isWrongGuess``)
    /// or others; returns the proof to use up.
    func verify(_ entered: String, _ attempt: CredentialAttempt, in stores: any KeywardStores) async throws -> CredentialProof

    /// Uses a checked proof up, inside the transaction that acts on it, with any notice its use
    /// causes.
    func consume(_ proof: CredentialProof, origin: RequestOrigin, in stores: any KeywardStores) async throws
}

extension CredentialMethod {
    /// Nothing to hand out: the person answers from what they hold or were sent.
    public func prompt(flow: Flow, in stores: any KeywardStores) async throws -> CredentialPrompt? { nil }
}

/// Every credential method the server offers, by name.
public struct CredentialMethods: Sendable {
    private let methods: [any CredentialMethod]
    private let clock: any KeywardClock

    /// The given methods, in the order pages offer them.
    public init(_ methods: [any CredentialMethod], clock: any KeywardClock) {
        self.methods = methods
        self.clock = clock
    }

    /// The method named `method`; throws `second_factor.method_unavailable` when none is.
    public func method(_ method: SecondFactorMethod) throws(KeywardError) -> any CredentialMethod {
        guard let found = methods.first(where: { $0.method == method }) else { throw .secondFactorMethodUnavailable }
        return found
    }

    /// The options an account with `factors` can use, in order.
    public func offers(for factors: AccountFactors) -> [SecondFactorOption] {
        methods.compactMap { $0.offer(for: factors) }
    }

    /// What the client needs for each of `methods` in `flow`, in order.
    public func prompts(for methods: [SecondFactorMethod], flow: Flow, in stores: any KeywardStores) async throws -> [CredentialPrompt] {
        var prompts: [CredentialPrompt] = []
        for method in methods {
            if let prompt = try await self.method(method).prompt(flow: flow, in: stores) { prompts.append(prompt) }
        }
        return prompts
    }

    /// Checks `entered` with the method named `method`, auditing a wrong entry
    /// (``KeywardError/isWrongGuess``) as a failed second factor of the attempt's flow. Counts
    /// nothing: callers check it as one admitted guess.
    public func verify(_ method: SecondFactorMethod, _ entered: String, _ attempt: CredentialAttempt,
                       in stores: any KeywardStores) async throws -> CredentialProof {
        let credential = try self.method(method)
        do {
            return try await credential.verify(entered, attempt, in: stores)
        } catch let failure as KeywardError where failure.isWrongGuess {
            try await stores.audit.record(AuditEvent(
                kind: .secondFactorFailed, outcome: .failure, accountId: attempt.accountId, origin: attempt.origin,
                at: clock.now(), details: ["flowId": attempt.flow?.id ?? "", "method": method.rawValue, "reason": failure.code]))
            throw failure
        }
    }

    /// Uses a checked proof up through the method that made it.
    public func consume(_ proof: CredentialProof, origin: RequestOrigin, in stores: any KeywardStores) async throws {
        try await method(proof.method).consume(proof, origin: origin, in: stores)
    }
}
