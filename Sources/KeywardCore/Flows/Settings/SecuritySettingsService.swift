import Foundation
import KeywardCrypto

/// Changes to a signed-in account's security: password, authenticator app, anti-phishing code.
///
/// Each change needs a fresh re-authentication, tells every channel of the account, is audited, and
/// places the configured withdrawal hold.
public struct SecuritySettingsService: Sendable {
    private let database: any KeywardDatabase
    private let passwords: any PasswordHashing
    private let policy: PasswordPolicy
    private let authenticators: Authenticators
    private let reauthentication: ReauthenticationService
    private let step: SecondFactorStep
    private let queue: MessageQueue
    private let effects: SecurityEffectsApplier
    private let recoveryCodes: RecoveryCodes
    private let clock: any KeywardClock
    /// The holds placed after changes.
    public let holds: ChangeHoldSettings

    /// A service over the given parts.
    public init(database: any KeywardDatabase, passwords: any PasswordHashing, policy: PasswordPolicy,
                authenticators: Authenticators, reauthentication: ReauthenticationService, step: SecondFactorStep,
                queue: MessageQueue, effects: SecurityEffectsApplier, recoveryCodes: RecoveryCodes, clock: any KeywardClock,
                holds: ChangeHoldSettings) {
        self.database = database
        self.passwords = passwords
        self.policy = policy
        self.authenticators = authenticators
        self.reauthentication = reauthentication
        self.step = step
        self.queue = queue
        self.effects = effects
        self.recoveryCodes = recoveryCodes
        self.clock = clock
        self.holds = holds
    }

    /// The account's factors, policy, anti-phishing status and holds.
    public func overview(session: Session) async throws -> SecurityOverview {
        let stores = database.stores
        let policy = try await step.policy(accountId: session.accountId, in: stores)
        let authenticator = try await stores.authenticators.find(accountId: session.accountId, state: .active)
        return SecurityOverview(
            policy: policy, signInMethods: step.required(for: policy), authenticatorBoundAt: authenticator?.confirmedAt,
            antiPhishingCodeSet: try await stores.accounts.antiPhishingCode(accountId: session.accountId) != nil,
            holds: try await stores.holdsInForce(accountId: session.accountId, now: clock.now()),
            reauthenticatedUntil: reauthentication.freshUntil(session))
    }

    /// Changes the password: the current one must be right (a wrong one counts toward lockout), the
    /// new one must meet the policy and differ. Other sessions are revoked unless `keepOtherSessions`.
    /// Returns how many sessions ended.
    public func changePassword(session: Session, current: String, new: String, keepOtherSessions: Bool,
                               origin: RequestOrigin) async throws -> Int {
        try reauthentication.requireFresh(session)
        guard let account = try await database.stores.accounts.find(id: session.accountId), let stored = account.passwordHash else {
            throw KeywardError.sessionRequired
        }
        let identifiers = try await database.stores.accounts.identifiers(accountId: account.id).map(\.identifier)
        for identifier in identifiers.isEmpty ? [nil] : identifiers.map(Optional.some) {
            try policy.check(new, identifier: identifier)
        }
        try await reauthentication.checkPassword(accountId: account.id, password: current, origin: origin)
        do {
            return try await replacePassword(session: session, stored: stored, new: new,
                                             keepOtherSessions: keepOtherSessions, origin: origin)
        } catch {
            // The current password was right; whatever failed after it must not count as a wrong guess.
            try? await reauthentication.releaseGuess(accountId: account.id)
            throw error
        }
    }

    private func replacePassword(session: Session, stored: String, new: String, keepOtherSessions: Bool,
                                 origin: RequestOrigin) async throws -> Int {
        let accountId = session.accountId
        if case .match = try await passwords.verify(new, against: stored) { throw KeywardError.passwordReused }
        let newHash = try await passwords.hash(new)
        return try await database.transaction { stores in
            try await stores.guesses.resetFailures(.account(accountId: accountId))
            try await stores.accounts.updatePasswordHash(accountId: accountId, passwordHash: newHash)
            try await stores.flows.recordSettingsChange(.passwordChanged, accountId: accountId, at: clock.now())
            return try await effects.apply(SecurityEffects(
                event: .passwordChanged, revocation: keepOtherSessions ? nil : .allExcept(sessionId: session.id),
                hold: (SecurityChange.passwordChanged.rawValue, holds.afterPasswordChange), notice: .change(.passwordChanged)),
                accountId: accountId, origin: origin, in: stores).sessionsRevoked
        }
    }

    /// Starts binding (or replacing) the authenticator: a new secret, shown this once.
    public func beginAuthenticator(session: Session, origin: RequestOrigin) async throws -> AuthenticatorEnrolment {
        try reauthentication.requireFresh(session)
        return try await database.transaction { stores in
            let name = try await stores.accounts.identifiers(accountId: session.accountId)
                .first { $0.verifiedAt != nil }?.identifier.value ?? session.accountId
            let enrolment = try await authenticators.enrol(accountId: session.accountId, accountName: name, in: stores)
            if let pending = try await stores.authenticators.find(accountId: session.accountId, state: .pending) {
                let flowId = SecureRandom.uuid()
                try await stores.flows.supersede(AuthenticatorEnrolmentFlow.self, accountId: session.accountId, except: flowId,
                                                 from: [.waitingForCode], to: .replaced, at: clock.now())
                _ = try await stores.flows.start(
                    AuthenticatorEnrolmentFlow.self, id: flowId, state: .waitingForCode, accountId: session.accountId,
                    identifier: nil, at: clock.now(), lifetime: authenticators.settings.enrolmentLifetime,
                    context: AuthenticatorEnrolmentFlow.Context(authenticatorId: pending.id))
            }
            try await stores.audit.record(AuditEvent(
                kind: .authenticatorEnrolmentStarted, outcome: .success, accountId: session.accountId, origin: origin,
                at: clock.now()))
            return enrolment
        }
    }

    /// The enrolment waiting for its first code, shown again to a freshly re-authenticated session
    /// (a reloaded page, a mistyped code); `nil` when there is none.
    public func pendingAuthenticator(session: Session) async throws -> AuthenticatorEnrolment? {
        try reauthentication.requireFresh(session)
        let stores = database.stores
        let name = try await stores.accounts.identifiers(accountId: session.accountId)
            .first { $0.verifiedAt != nil }?.identifier.value ?? session.accountId
        return try await authenticators.pendingEnrolment(accountId: session.accountId, accountName: name, in: stores)
    }

    /// Confirms the pending authenticator with a current code from it; it then replaces any earlier one
    /// and is required at sign-in. Throws `authenticator.not_pending`, `totp.invalid` or `totp.reused`.
    public func confirmAuthenticator(session: Session, code: String, origin: RequestOrigin) async throws {
        let stores = database.stores
        guard let pending = try await stores.authenticators.find(accountId: session.accountId, state: .pending),
              pending.createdAt.addingTimeInterval(authenticators.settings.enrolmentLifetime) > clock.now()
        else { throw KeywardError.authenticatorNotPending }
        do {
            try await authenticators.verify(code, authenticator: pending, in: stores)
        } catch let failure as KeywardError {
            try await stores.audit.record(AuditEvent(
                kind: .secondFactorFailed, outcome: .failure, accountId: session.accountId, origin: origin,
                at: clock.now(), details: ["method": "totp", "reason": failure.code, "during": "enrolment"]))
            throw failure
        }
        try await database.transaction { stores in
            guard try await stores.authenticators.activate(id: pending.id, accountId: session.accountId, at: clock.now()) else {
                throw KeywardError.authenticatorNotPending
            }
            if let flow = try await stores.flows.newest(AuthenticatorEnrolmentFlow.self, accountId: session.accountId,
                                                        in: .waitingForCode),
               flow.context.authenticatorId == pending.id {
                try await stores.flows.advance(flow, from: .waitingForCode, to: .completed, at: clock.now())
            }
            try await secure(.authenticatorBound, event: .authenticatorBound, hold: holds.afterAuthenticatorChange,
                             accountId: session.accountId, origin: origin, in: stores)
        }
    }

    /// Removes the authenticator; sign-in falls back to codes by email or SMS.
    public func removeAuthenticator(session: Session, origin: RequestOrigin) async throws {
        try reauthentication.requireFresh(session)
        try await database.transaction { stores in
            guard try await stores.authenticators.find(accountId: session.accountId, state: .active) != nil else {
                throw KeywardError.authenticatorNotBound
            }
            _ = try await stores.authenticators.removeAll(accountId: session.accountId)
            try await stores.flows.recordSettingsChange(.authenticatorRemoved, accountId: session.accountId, at: clock.now())
            try await secure(.authenticatorRemoved, event: .authenticatorRemoved, hold: holds.afterAuthenticatorChange,
                             accountId: session.accountId, origin: origin, in: stores)
        }
    }

    /// Sets the anti-phishing code every later email shows.
    public func setAntiPhishingCode(session: Session, code raw: String, origin: RequestOrigin) async throws {
        try reauthentication.requireFresh(session)
        let code = try AntiPhishingCode.validate(raw)
        let sealed = try queue.seal(antiPhishingCode: code, accountId: session.accountId)
        try await database.transaction { stores in
            try await stores.accounts.setAntiPhishingCode(accountId: session.accountId, sealed: sealed)
            try await stores.flows.recordSettingsChange(.antiPhishingCodeSet, accountId: session.accountId, at: clock.now())
            try await secure(.antiPhishingCodeSet, event: .antiPhishingCodeSet, hold: 0, accountId: session.accountId,
                             origin: origin, in: stores)
        }
    }

    /// Makes a new set of recovery codes in place of any earlier one and returns them, to be shown
    /// this once (`ABCDE-FGHJK`); the owner is told on every channel.
    public func generateRecoveryCodes(session: Session, origin: RequestOrigin) async throws -> [String] {
        try reauthentication.requireFresh(session)
        let set = recoveryCodes.generate(accountId: session.accountId, at: clock.now())
        try await database.transaction { stores in
            try await stores.recoveryCodes.replaceAll(accountId: session.accountId, with: set.stored)
            try await stores.flows.recordSettingsChange(.recoveryCodesGenerated, accountId: session.accountId, at: clock.now())
            try await secure(.recoveryCodesGenerated, event: .recoveryCodesGenerated, hold: 0, accountId: session.accountId,
                             origin: origin, in: stores)
        }
        return set.shown
    }

    /// Applies a settings change's effects: its audit event, the hold (if any) and the notice on
    /// every channel, in the change's transaction.
    private func secure(_ change: SecurityChange, event: AuditEvent.Kind, hold duration: TimeInterval, accountId: String,
                        origin: RequestOrigin, in stores: any KeywardStores) async throws {
        _ = try await effects.apply(SecurityEffects(event: event, hold: (change.rawValue, duration), notice: .change(change)),
                                    accountId: accountId, origin: origin, in: stores)
    }
}
