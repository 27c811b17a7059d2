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
    private let clock: any KeywardClock
    /// The holds placed after changes.
    public let holds: ChangeHoldSettings

    /// A service over the given parts.
    public init(database: any KeywardDatabase, passwords: any PasswordHashing, policy: PasswordPolicy,
                authenticators: Authenticators, reauthentication: ReauthenticationService, step: SecondFactorStep,
                queue: MessageQueue, clock: any KeywardClock, holds: ChangeHoldSettings) {
        self.database = database
        self.passwords = passwords
        self.policy = policy
        self.authenticators = authenticators
        self.reauthentication = reauthentication
        self.step = step
        self.queue = queue
        self.clock = clock
        self.holds = holds
    }

    /// The account's factors, policy, anti-phishing status and holds.
    public func overview(session: Session) async throws -> SecurityOverview {
        let stores = database.stores
        let policy = try await step.policy(accountId: session.accountId, in: stores)
        let authenticator = try await stores.authenticators.find(accountId: session.accountId, state: .active)
        return SecurityOverview(
            policy: policy, authenticatorBoundAt: authenticator?.confirmedAt,
            antiPhishingCodeSet: try await stores.accounts.antiPhishingCode(accountId: session.accountId) != nil,
            holds: try await stores.holds.active(accountId: session.accountId, now: clock.now()),
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
            let now = clock.now()
            try await stores.guesses.resetFailures(.account(accountId: accountId))
            try await stores.accounts.updatePasswordHash(accountId: accountId, passwordHash: newHash)
            let revoked = keepOtherSessions ? 0
                : try await stores.sessions.revokeAll(accountId: accountId, keeping: session.id, at: now)
            try await stores.audit.record(AuditEvent(
                kind: .passwordChanged, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["sessionsRevoked": String(revoked)]))
            try await secure(accountId: accountId, change: .passwordChanged, hold: holds.afterPasswordChange,
                             origin: origin, in: stores)
            return revoked
        }
    }

    /// Starts binding (or replacing) the authenticator: a new secret, shown this once.
    public func beginAuthenticator(session: Session, origin: RequestOrigin) async throws -> AuthenticatorEnrolment {
        try reauthentication.requireFresh(session)
        return try await database.transaction { stores in
            let name = try await stores.accounts.identifiers(accountId: session.accountId)
                .first { $0.verifiedAt != nil }?.identifier.value ?? session.accountId
            let enrolment = try await authenticators.enrol(accountId: session.accountId, accountName: name, in: stores)
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
            try await stores.audit.record(AuditEvent(
                kind: .authenticatorBound, outcome: .success, accountId: session.accountId, origin: origin, at: clock.now()))
            try await secure(accountId: session.accountId, change: .authenticatorBound, hold: holds.afterAuthenticatorChange,
                             origin: origin, in: stores)
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
            try await stores.audit.record(AuditEvent(
                kind: .authenticatorRemoved, outcome: .success, accountId: session.accountId, origin: origin, at: clock.now()))
            try await secure(accountId: session.accountId, change: .authenticatorRemoved, hold: holds.afterAuthenticatorChange,
                             origin: origin, in: stores)
        }
    }

    /// Sets the anti-phishing code every later email shows.
    public func setAntiPhishingCode(session: Session, code raw: String, origin: RequestOrigin) async throws {
        try reauthentication.requireFresh(session)
        let code = try AntiPhishingCode.validate(raw)
        let sealed = try queue.seal(antiPhishingCode: code, accountId: session.accountId)
        try await database.transaction { stores in
            try await stores.accounts.setAntiPhishingCode(accountId: session.accountId, sealed: sealed)
            try await stores.audit.record(AuditEvent(
                kind: .antiPhishingCodeSet, outcome: .success, accountId: session.accountId, origin: origin, at: clock.now()))
            try await secure(accountId: session.accountId, change: .antiPhishingCodeSet, hold: 0, origin: origin, in: stores)
        }
    }

    /// After a change: places the hold (if any) and tells every channel, in the change's transaction.
    func secure(accountId: String, change: SecurityChange, hold duration: TimeInterval, also extra: [Identifier] = [],
                origin: RequestOrigin, in stores: any KeywardStores) async throws {
        let now = clock.now()
        var until: Date?
        if duration > 0 {
            let hold = SecurityHold(id: SecureRandom.uuid(), accountId: accountId, kind: SecurityHold.withdrawal,
                                    reason: change.rawValue, placedAt: now, until: now.addingTimeInterval(duration))
            try await stores.holds.place(hold)
            try await stores.audit.record(AuditEvent(
                kind: .holdPlaced, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["kind": hold.kind, "reason": hold.reason, "until": ISO8601.string(hold.until)]))
            until = hold.until
        }
        try await queue.notifyAll(accountId: accountId, also: extra, in: stores) { identifier in
            queue.composer.securityChangeNotice(change, at: now, ip: origin.ip, holdUntil: until, to: identifier)
        }
    }
}
