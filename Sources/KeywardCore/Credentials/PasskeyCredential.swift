public import Foundation
import KeywardCrypto

/// A passkey registered to the account: the flow hands out a challenge with its passkeys listed,
/// and the person answers with the JSON of the browser's assertion.
public struct PasskeyCredential: CredentialMethod {
    private let relyingParty: PasskeyRelyingParty
    private let clock: any KeywardClock

    /// Assertions checked for `relyingParty`.
    public init(relyingParty: PasskeyRelyingParty, clock: any KeywardClock) {
        self.relyingParty = relyingParty
        self.clock = clock
    }

    /// `passkey`.
    public var method: SecondFactorMethod { .passkey }

    /// Offered when the account has a passkey.
    public func offer(for factors: AccountFactors) -> SecondFactorOption? {
        factors.passkeys > 0 ? SecondFactorOption(method: .passkey, destination: nil) : nil
    }

    /// Nothing is sent: the challenge comes with the step.
    public func send(_ attempt: CredentialAttempt, reason: MessageComposer.CodeReason,
                     in database: any KeywardDatabase) async throws -> Date {
        throw KeywardError.secondFactorMethodUnavailable
    }

    /// The flow's challenge, listing the account's passkeys.
    public func prompt(flow: Flow, in stores: any KeywardStores) async throws -> CredentialPrompt? {
        guard let accountId = flow.accountId else { return nil }
        return .passkey(relyingParty.requestOptions(flowId: flow.id, passkeys: try await stores.passkeys.list(accountId: accountId)))
    }

    /// Checks the assertion in `entered` against the flow's challenge and one of the account's
    /// passkeys. A counter gone backwards is audited as a possible copy before it is refused.
    public func verify(_ entered: String, _ attempt: CredentialAttempt, in stores: any KeywardStores) async throws -> CredentialProof {
        let assertion = try PasskeyAssertionInput(json: entered)
        guard let accountId = attempt.accountId,
              let passkey = try await stores.passkeys.find(credentialId: assertion.credentialId),
              passkey.accountId == accountId
        else { throw KeywardError.passkeyUnknown }
        let use = try await PasskeyCredential.check(assertion, by: passkey, flowId: try attempt.requireFlow().id, relyingParty: relyingParty,
                                                    origin: attempt.origin, at: clock.now(), in: stores)
        return CredentialProof(method: .passkey, accountId: accountId, reference: passkey.id, passkeyUse: use)
    }

    /// Records the passkey's new counter; a parallel use that got there first refuses this one.
    public func consume(_ proof: CredentialProof, origin: RequestOrigin, in stores: any KeywardStores) async throws {
        guard let id = proof.reference, let use = proof.passkeyUse else { throw KeywardError.passkeyInvalid }
        guard try await stores.passkeys.recordUse(id: id, signCount: use.signCount, backedUp: use.backedUp, at: clock.now()) else {
            throw KeywardError.passkeySignCountRegressed
        }
    }

    /// Checks `assertion` by `passkey` in flow `flowId`, auditing a counter that went backwards as a
    /// possible copy of the passkey.
    static func check(_ assertion: PasskeyAssertionInput, by passkey: Passkey, flowId: String,
                      relyingParty: PasskeyRelyingParty, origin: RequestOrigin, at now: Date,
                      in stores: any KeywardStores) async throws -> WebAuthnAssertion {
        do {
            return try relyingParty.verifyAssertion(assertion, by: passkey, flowId: flowId)
        } catch let failure where failure == .passkeySignCountRegressed {
            try await stores.audit.record(AuditEvent(
                kind: .passkeyCloneSuspected, outcome: .failure, accountId: passkey.accountId, origin: origin, at: now,
                details: ["passkeyId": passkey.id, "storedCount": String(passkey.signCount)]))
            throw failure
        }
    }
}
