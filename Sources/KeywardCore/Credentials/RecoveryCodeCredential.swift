public import Foundation

/// One of the account's single-use recovery codes, accepted wherever a second factor is asked.
/// Using one tells the owner on every channel how many remain, and after the last, to make new ones.
public struct RecoveryCodeCredential: CredentialMethod {
    private let codes: RecoveryCodes
    private let queue: MessageQueue
    private let clock: any KeywardClock

    /// Codes hashed by `codes`, notices queued by `queue`.
    public init(codes: RecoveryCodes, queue: MessageQueue, clock: any KeywardClock) {
        self.codes = codes
        self.queue = queue
        self.clock = clock
    }

    /// `recovery_code`.
    public var method: SecondFactorMethod { .recoveryCode }

    /// Offered while the account has an unused code.
    public func offer(for factors: AccountFactors) -> SecondFactorOption? {
        factors.recoveryCodesRemaining > 0 ? SecondFactorOption(method: .recoveryCode, destination: nil) : nil
    }

    /// Nothing is sent: the person saved the codes when they were made.
    public func send(_ attempt: CredentialAttempt, reason: MessageComposer.CodeReason,
                     in database: any KeywardDatabase) async throws -> Date {
        throw KeywardError.secondFactorMethodUnavailable
    }

    /// Checks `entered` (spaces, dashes and case ignored) against the account's unused codes.
    public func verify(_ entered: String, _ attempt: CredentialAttempt, in stores: any KeywardStores) async throws -> CredentialProof {
        guard let accountId = attempt.accountId, attempt.factors.recoveryCodesRemaining > 0 else {
            throw KeywardError.secondFactorMethodUnavailable
        }
        guard let normalized = RecoveryCodes.normalized(entered),
              let id = try await stores.recoveryCodes.unused(accountId: accountId,
                                                             codeHash: codes.hash(normalized, accountId: accountId))
        else { throw KeywardError.recoveryCodeInvalid }
        return CredentialProof(method: .recoveryCode, accountId: accountId, reference: id)
    }

    /// Marks the code used (`recovery_code.invalid` when a parallel request used it first), audits
    /// it and tells the owner on every channel how many remain.
    public func consume(_ proof: CredentialProof, origin: RequestOrigin, in stores: any KeywardStores) async throws {
        guard let id = proof.reference, let accountId = proof.accountId else { throw KeywardError.recoveryCodeInvalid }
        let now = clock.now()
        guard try await stores.recoveryCodes.markUsed(id: id, at: now) else { throw KeywardError.recoveryCodeInvalid }
        let remaining = try await stores.recoveryCodes.remaining(accountId: accountId)
        try await stores.audit.record(AuditEvent(
            kind: .recoveryCodeUsed, outcome: .success, accountId: accountId, origin: origin, at: now,
            details: ["remaining": String(remaining)]))
        try await queue.notifyAll(accountId: accountId, offeringFreeze: true, in: stores) { identifier in
            queue.composer.recoveryCodeUsedNotice(remaining: remaining, at: now, ip: origin.ip, to: identifier)
        }
    }
}
