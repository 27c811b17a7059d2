public import Foundation

/// A one-time code sent to the account's verified email address or phone number.
public struct CodeCredential: CredentialMethod {
    private let codes: OneTimeCodes
    /// The channel codes go out on.
    public let channel: DeliveryChannel

    /// Codes on `channel`, issued and checked by `codes`.
    public init(channel: DeliveryChannel, codes: OneTimeCodes) {
        self.channel = channel
        self.codes = codes
    }

    /// `email_code` or `sms_code`.
    public var method: SecondFactorMethod { SecondFactorMethod(channel: channel) }

    /// Offered when the account has a verified identifier on the channel.
    public func offer(for factors: AccountFactors) -> SecondFactorOption? {
        factors.destination(for: channel).map { SecondFactorOption(method: method, destination: $0.masked) }
    }

    /// Sends a code bound to the flow and this method, within the sending limits.
    public func send(_ attempt: CredentialAttempt, reason: MessageComposer.CodeReason,
                     in database: any KeywardDatabase) async throws -> Date {
        guard let destination = attempt.factors.destination(for: channel) else {
            throw KeywardError.secondFactorMethodUnavailable
        }
        try await codes.checkSendLimits(to: destination, accountId: attempt.accountId, origin: attempt.origin, in: database)
        return try await database.transaction { stores in
            try await codes.send(for: try attempt.requireFlow(), purpose: method.rawValue, to: destination, reason: reason,
                                 origin: attempt.origin, in: stores)
        }
    }

    /// Checks `entered` against the flow's newest code of this method; `second_factor.code_not_sent`
    /// when none was sent.
    public func verify(_ entered: String, _ attempt: CredentialAttempt, in stores: any KeywardStores) async throws -> CredentialProof {
        guard try await stores.codes.latest(flowId: try attempt.requireFlow().id, purpose: method.rawValue) != nil else {
            throw KeywardError.secondFactorCodeNotSent
        }
        let code = try await codes.check(entered, flow: try attempt.requireFlow(), purpose: method.rawValue, origin: attempt.origin,
                                         in: stores)
        return CredentialProof(method: method, code: code)
    }

    /// Marks the code used.
    public func consume(_ proof: CredentialProof, origin: RequestOrigin, in stores: any KeywardStores) async throws {
        if let code = proof.code { try await codes.consume(code, in: stores) }
    }
}
