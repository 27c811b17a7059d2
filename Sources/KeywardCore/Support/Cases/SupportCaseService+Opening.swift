public import Foundation
import KeywardCrypto

/// The two ways into a case without a session: from a sign-in's second step whose factor is gone,
/// and from "Contact support" with a code to the address given.
extension SupportCaseService {
    // MARK: Opening from a sign-in's second step

    /// The second factors a sign-in's person may say are unavailable, and the channels that would
    /// then prove the rest (those the account has and the person did not name).
    func unavailablePlan(_ raw: [String], factors: AccountFactors) throws -> (unavailable: [String], remaining: [DeliveryChannel]) {
        var names: [String] = []
        for name in raw where !names.contains(name) { names.append(name) }
        guard !names.isEmpty else { throw KeywardError.caseUnavailableInvalid }
        for name in names {
            let held = switch name {
            case "totp": factors.authenticator
            case "passkey": factors.passkeys > 0
            case "sms": factors.phone != nil
            case "email": factors.email != nil
            default: false
            }
            guard held else { throw KeywardError.caseUnavailableInvalid }
        }
        var remaining: [DeliveryChannel] = []
        if factors.email != nil && !names.contains("email") { remaining.append(.email) }
        if factors.phone != nil && !names.contains("sms") { remaining.append(.sms) }
        return (names, remaining)
    }

    /// What the person of a sign-in waiting for its second factor may say they can no longer use, and
    /// the channels left to prove with a code once they named `unavailable` (every channel the
    /// account has when they named none). Throws the sign-in's flow errors when it is not waiting.
    public func unavailableOptions(flowId: String, unavailable: [String] = []) async throws -> CaseUnavailableOptions {
        let flow = try await step.waitingFlow(flowId, as: SignInFlow.self)
        let factors = try await AccountFactors.load(accountId: flow.accountId ?? "", in: database.stores)
        var names: [String] = []
        if factors.authenticator { names.append("totp") }
        if factors.passkeys > 0 { names.append("passkey") }
        if factors.phone != nil { names.append("sms") }
        if factors.email != nil { names.append("email") }
        let channels = [DeliveryChannel.email, .sms].compactMap { channel -> (channel: DeliveryChannel, destination: String)? in
            guard !unavailable.contains(channel.rawValue), let destination = factors.destination(for: channel) else { return nil }
            return (channel, destination.masked)
        }
        return CaseUnavailableOptions(factors: names, channels: channels)
    }

    /// Sends a code to a channel the person still has, for a sign-in whose second factor they can no
    /// longer use; the code proves that channel when the case opens. Returns where it went and when
    /// another may be asked for.
    public func sendSignInProofCode(flowId: String, channel raw: String,
                                    origin: RequestOrigin) async throws -> (destination: String, resendAvailableAt: Date) {
        let flow = try await step.waitingFlow(flowId, as: SignInFlow.self)
        try await step.ensureNotLocked(Self.scope(of: flow))
        guard let channel = DeliveryChannel(rawValue: raw) else { throw KeywardError.requestInvalidField("channel") }
        let factors = try await AccountFactors.load(accountId: flow.accountId ?? "", in: database.stores)
        guard let destination = factors.destination(for: channel) else { throw KeywardError.secondFactorMethodUnavailable }
        let next = try await credentials.method(SecondFactorMethod(channel: channel)).send(
            CredentialAttempt(flow: flow.record, factors: factors, origin: origin), reason: .supportCase, in: database)
        return (destination.masked, next)
    }

    /// Opens a case from a sign-in whose password was right but whose second factor the person can
    /// no longer use. `unavailable` names those (`totp`, `passkey`, `sms`, `email`); when the account has a
    /// channel left, `method` and `code` prove it (a code sent by
    /// ``sendSignInProofCode(flowId:channel:origin:)``), counted as a guess in the sign-in's lockout.
    /// The sign-in ends; the case records the proofs given.
    public func openFromSignIn(flowId: String, unavailable raw: [String], description: String, method: String?,
                               code: String?, origin: RequestOrigin) async throws -> OpenedCase {
        let flow = try await step.waitingFlow(flowId, as: SignInFlow.self)
        guard let accountId = flow.accountId else { throw KeywardError.flowNotFound }
        let scope = Self.scope(of: flow)
        try await step.ensureNotLocked(scope)
        let text = try Self.checkedText(description, error: .caseDescriptionInvalid)
        let factors = try await AccountFactors.load(accountId: accountId, in: database.stores)
        let plan = try unavailablePlan(raw, factors: factors)
        try await ensureUnderDailyLimit(accountId: accountId, origin: origin)
        var proofs: [SupportCase.Proof] = [.password]
        var proof: CredentialProof?
        if !plan.remaining.isEmpty {
            guard let code, !code.isEmpty, let method else { throw KeywardError.caseProofRequired(channels: plan.remaining) }
            let chosen = try SecondFactorMethod.parse(method)
            guard let channel = chosen.channel, plan.remaining.contains(channel) else {
                throw KeywardError.secondFactorMethodUnavailable
            }
            let attempt = CredentialAttempt(flow: flow.record, factors: factors, origin: origin)
            proof = try await guesses.guess(scope, origin: origin, in: database) {
                try await credentials.verify(chosen, code, attempt, in: database.stores)
            }
            proofs.append(channel == .email ? .emailCode : .smsCode)
        }
        let topic: SupportCase.Topic = plan.unavailable.contains("totp") || plan.unavailable.contains("passkey") ? .authenticatorLost
            : plan.unavailable.contains("sms") ? .phoneLost : .emailLost
        let checked = proof, given = proofs
        return try await database.transaction { stores in
            if let checked { try await credentials.consume(checked, origin: origin, in: stores) }
            // Proving a channel here proves the case, not a sign-in: failures are neither counted nor cleared.
            try await guesses.release(scope, in: stores)
            try await stores.flows.advance(flow, from: .secondFactorRequired, to: .supportRequested, at: clock.now())
            return try await open(accountId: accountId, topic: topic, description: text, proofs: given,
                                  unavailable: plan.unavailable, origin: origin, in: stores)
        }
    }

    // MARK: Opening without the password

    /// Starts opening a case for the account holding `identifier` and sends a code to it. An
    /// identifier no account holds is answered the same, after the same limits, and gets nothing.
    public func startOpening(identifier raw: String, topic rawTopic: String, description: String,
                             origin: RequestOrigin) async throws -> CaseOpeningStarted {
        let identifier = try Identifier.parse(raw)
        guard let topic = SupportCase.Topic(rawValue: rawTopic), topic != .authenticatorLost else {
            throw KeywardError.caseTopicInvalid
        }
        let text = try Self.checkedText(description, error: .caseDescriptionInvalid)
        let found = try await database.stores.accounts.find(identifier: identifier)
        let account = found?.status == .active ? found : nil
        try await codes.checkSendLimits(to: identifier, accountId: account?.id, origin: origin, in: database)
        return try await database.transaction { stores in
            let now = clock.now()
            let flow = try await stores.flows.start(
                SupportCaseOpeningFlow.self, id: SecureRandom.uuid(), state: .codeSent, accountId: account?.id,
                identifier: identifier, at: now, lifetime: openingLifetime,
                context: SupportCaseOpeningFlow.Context(topic: topic, description: text))
            let resendAt = try await codes.send(for: flow.record, to: identifier, reason: .supportCase, origin: origin,
                                                in: stores, deliver: account != nil)
            return CaseOpeningStarted(caseId: flow.id, channel: identifier.channel, resendAvailableAt: resendAt)
        }
    }

    /// Opens the case `caseId` started by ``startOpening(identifier:topic:description:origin:)``
    /// with the code sent; throws `code.invalid` for any code when no account holds the identifier.
    public func confirmOpening(caseId: String, code entered: String, origin: RequestOrigin) async throws -> OpenedCase {
        let flow = try await database.stores.flows.load(caseId, as: SupportCaseOpeningFlow.self, in: .codeSent,
                                                        now: clock.now())
        let code = try await codes.check(entered, flow: flow.record, origin: origin, in: database.stores)
        guard let accountId = flow.accountId, let identifier = flow.identifier else {
            throw KeywardError.codeInvalid(attemptsRemaining: 0)  // never reached: no code was delivered
        }
        try await ensureUnderDailyLimit(accountId: accountId, origin: origin)
        return try await database.transaction { stores in
            try await codes.consume(code, in: stores)
            try await stores.flows.advance(flow, from: .codeSent, to: .completed, at: clock.now())
            return try await open(id: flow.id, accountId: accountId, topic: flow.context.topic,
                                  description: flow.context.description,
                                  proofs: [identifier.channel == .email ? .emailCode : .smsCode], unavailable: [],
                                  origin: origin, in: stores)
        }
    }

    /// Where the opening `caseId` stands: the identifier given and when another code may be asked
    /// for. Throws `case.opening_completed` once the case opened (its page takes over),
    /// `case.opening_expired` past its time, `case.not_found` for anything else. Answers alike
    /// whether or not an account has the identifier.
    public func openingStatus(caseId: String) async throws -> CaseOpeningStatus {
        let flow = try await database.stores.flows.load(caseId, as: SupportCaseOpeningFlow.self, in: .codeSent,
                                                        now: clock.now())
        guard let identifier = flow.identifier else { throw KeywardError.caseNotFound }
        let latest = try await database.stores.codes.latest(flowId: flow.id, purpose: nil)
        return CaseOpeningStatus(caseId: flow.id, identifier: identifier,
                                 resendAvailableAt: codes.resendAvailableAt(after: latest?.createdAt ?? flow.createdAt))
    }

    /// Sends a new code for the opening `caseId`, within the same limits as the first; for an
    /// identifier no account has, nothing is delivered and the answer is the same.
    public func resendOpeningCode(caseId: String, origin: RequestOrigin) async throws -> CaseOpeningStarted {
        let flow = try await database.stores.flows.load(caseId, as: SupportCaseOpeningFlow.self, in: .codeSent,
                                                        now: clock.now())
        guard let identifier = flow.identifier else { throw KeywardError.caseNotFound }
        try await codes.checkSendLimits(to: identifier, accountId: flow.accountId, origin: origin, in: database)
        return try await database.transaction { stores in
            let resendAt = try await codes.send(for: flow.record, to: identifier, reason: .supportCase, origin: origin,
                                                in: stores, deliver: flow.accountId != nil)
            return CaseOpeningStarted(caseId: flow.id, channel: identifier.channel, resendAvailableAt: resendAt)
        }
    }
}
