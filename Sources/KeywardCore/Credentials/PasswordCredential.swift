public import Foundation

/// The account's password: checked on the hashing pool, never offered as a second factor (it is
/// the first). A right password whose stored hash is bcrypt or Argon2id under older parameters
/// is hashed again, and the fresh hash is stored when the proof is used up.
public struct PasswordCredential: CredentialMethod {
    private let passwords: any PasswordHashing
    private let clock: any KeywardClock

    /// Passwords checked with `passwords`.
    public init(passwords: any PasswordHashing, clock: any KeywardClock) {
        self.passwords = passwords
        self.clock = clock
    }

    /// `password`.
    public var method: SecondFactorMethod { .password }

    /// Never a second step's option.
    public func offer(for factors: AccountFactors) -> SecondFactorOption? { nil }

    /// Nothing is sent for a password.
    public func send(_ attempt: CredentialAttempt, reason: MessageComposer.CodeReason,
                     in database: any KeywardDatabase) async throws -> Date {
        throw KeywardError.secondFactorMethodUnavailable
    }

    /// Checks `entered` against the account's stored hash; throws `password.incorrect` when it does
    /// not match (or the account has no password), or the hashing pool's `server.busy`. A rehash the
    /// pool cannot take now waits for the next check.
    public func verify(_ entered: String, _ attempt: CredentialAttempt, in stores: any KeywardStores) async throws -> CredentialProof {
        guard let accountId = attempt.accountId, let stored = try await stores.accounts.find(id: accountId)?.passwordHash else {
            try await passwords.verifyDummy(entered)
            throw KeywardError.passwordIncorrect
        }
        guard case .match(let needsRehash) = try await passwords.verify(entered, against: stored) else {
            throw KeywardError.passwordIncorrect
        }
        let fresh = needsRehash ? try? await passwords.hash(entered) : nil
        return CredentialProof(method: .password, accountId: accountId, freshPasswordHash: fresh)
    }

    /// Stores a fresh hash the check made, audited as a rehash.
    public func consume(_ proof: CredentialProof, origin: RequestOrigin, in stores: any KeywardStores) async throws {
        guard let accountId = proof.accountId, let fresh = proof.freshPasswordHash else { return }
        try await stores.accounts.updatePasswordHash(accountId: accountId, passwordHash: fresh)
        try await stores.audit.record(AuditEvent(
            kind: .passwordRehashed, outcome: .success, accountId: accountId, origin: origin, at: clock.now()))
    }
}
