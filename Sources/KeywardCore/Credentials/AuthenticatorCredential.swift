public import Foundation

/// A code from the authenticator app bound to the account (RFC 6238).
public struct AuthenticatorCredential: CredentialMethod {
    private let authenticators: Authenticators

    /// Codes checked by `authenticators`.
    public init(authenticators: Authenticators) {
        self.authenticators = authenticators
    }

    /// `totp`.
    public var method: SecondFactorMethod { .totp }

    /// Offered when an authenticator is bound.
    public func offer(for factors: AccountFactors) -> SecondFactorOption? {
        factors.authenticator ? SecondFactorOption(method: .totp, destination: nil) : nil
    }

    /// Nothing is sent: the app makes the codes.
    public func send(_ attempt: CredentialAttempt, reason: MessageComposer.CodeReason,
                     in database: any KeywardDatabase) async throws -> Date {
        throw KeywardError.secondFactorMethodUnavailable
    }

    /// Checks `entered` at the current time and claims its time step, so no code counts twice.
    public func verify(_ entered: String, _ attempt: CredentialAttempt, in stores: any KeywardStores) async throws -> CredentialProof {
        guard let accountId = attempt.accountId,
              let authenticator = try await stores.authenticators.find(accountId: accountId, state: .active)
        else { throw KeywardError.secondFactorMethodUnavailable }
        try await authenticators.verify(entered, authenticator: authenticator, in: stores)
        return CredentialProof(method: .totp)
    }

    /// The time step was claimed when the code was checked; nothing is left to use up.
    public func consume(_ proof: CredentialProof, origin: RequestOrigin, in stores: any KeywardStores) async throws {}
}
