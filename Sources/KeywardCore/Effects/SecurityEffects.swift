public import Foundation
import KeywardCrypto

/// What a completed security change does besides the change itself: the audit record, the
/// sessions it ends, the locks it lifts, the withdrawal hold, and the notice on every channel.
/// A flow names its change's effects; ``SecurityEffectsApplier`` applies them in the change's
/// transaction, so that no flow writes them itself and none can forget one.
public struct SecurityEffects: Sendable {
    /// Which sessions the change ends.
    public enum Revocation: Sendable, Equatable {
        /// Every session of the account.
        case all
        /// Every session but the one that made the change.
        case allExcept(sessionId: String)
    }

    /// Which notice the owner gets.
    public enum Notice: Sendable, Equatable {
        /// "Your … was changed", naming the change.
        case change(SecurityChange)
        /// "Your password was reset", with how to act if it was not them.
        case passwordReset
        /// "Your account was restricted / frozen", or that it no longer is.
        case restriction(AccountRestriction.Kind, lifted: Bool)
    }

    /// The audit event that records the change.
    public var event: AuditEvent.Kind
    /// Its details (never a secret).
    public var details: [String: String]
    /// The sessions ended, if any.
    public var revocation: Revocation?
    /// Whether the account's sign-in locks and its identifiers' recovery counters are lifted.
    public var liftsLocks: Bool
    /// The reason code of the withdrawal hold placed, and for how long; none when the duration is 0.
    public var hold: (reason: String, duration: TimeInterval)?
    /// The notice sent to every verified channel of the account, if any.
    public var notice: Notice?
    /// Addresses told besides the account's verified ones (the address a change replaced).
    public var alsoTell: [Identifier]

    /// The effects of one change.
    public init(event: AuditEvent.Kind, details: [String: String] = [:], revocation: Revocation? = nil,
                liftsLocks: Bool = false, hold: (reason: String, duration: TimeInterval)? = nil, notice: Notice? = nil,
                alsoTell: [Identifier] = []) {
        self.event = event
        self.details = details
        self.revocation = revocation
        self.liftsLocks = liftsLocks
        self.hold = hold
        self.notice = notice
        self.alsoTell = alsoTell
    }
}

/// What applying a change's effects did.
public struct AppliedSecurityEffects: Sendable {
    /// How many sessions ended.
    public let sessionsRevoked: Int
    /// The holds placed.
    public let holds: [SecurityHold]
}

/// The one component that applies ``SecurityEffects``, always inside the transaction of the
/// change they belong to; messages go through the outbox in the same transaction.
public struct SecurityEffectsApplier: Sendable {
    private let queue: MessageQueue
    private let clock: any KeywardClock

    /// An applier queueing notices through `queue`.
    public init(queue: MessageQueue, clock: any KeywardClock) {
        self.queue = queue
        self.clock = clock
    }

    /// Applies `effects` of a change to `accountId` made from `origin`, in the change's transaction.
    public func apply(_ effects: SecurityEffects, accountId: String, origin: RequestOrigin,
                      in stores: any KeywardStores) async throws -> AppliedSecurityEffects {
        let now = clock.now()
        var revoked = 0
        var details = effects.details
        if let revocation = effects.revocation {
            let keeping: String? = if case .allExcept(let sessionId) = revocation { sessionId } else { nil }
            revoked = try await stores.sessions.revokeAll(accountId: accountId, keeping: keeping, at: now)
            details["sessionsRevoked"] = String(revoked)
        }
        try await stores.audit.record(AuditEvent(
            kind: effects.event, outcome: .success, accountId: accountId, origin: origin, at: now, details: details))
        if effects.liftsLocks {
            try await liftLocks(accountId: accountId, reason: effects.hold?.reason ?? effects.event.rawValue,
                                origin: origin, in: stores)
        }
        var holds: [SecurityHold] = []
        if let plan = effects.hold, plan.duration > 0 {
            let hold = SecurityHold(id: SecureRandom.uuid(), accountId: accountId, kind: SecurityHold.withdrawal,
                                    reason: plan.reason, placedAt: now, until: now.addingTimeInterval(plan.duration))
            try await stores.holds.place(hold)
            try await stores.audit.record(AuditEvent(
                kind: .holdPlaced, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["kind": hold.kind, "reason": hold.reason, "until": ISO8601.string(now.addingTimeInterval(plan.duration))]))
            holds.append(hold)
        }
        if let notice = effects.notice {
            let holdUntil = holds.first?.until
            let offeringFreeze: Bool = if case .restriction = notice { false } else { true }
            try await queue.notifyAll(accountId: accountId, also: effects.alsoTell, offeringFreeze: offeringFreeze,
                                      in: stores) { identifier in
                switch notice {
                case .change(let change):
                    queue.composer.securityChangeNotice(change, at: now, ip: origin.ip, holdUntil: holdUntil, to: identifier)
                case .passwordReset:
                    queue.composer.passwordResetNotice(at: now, ip: origin.ip, holdUntil: holdUntil, to: identifier)
                case .restriction(let kind, let lifted):
                    queue.composer.restrictionNotice(kind, lifted: lifted, at: now, to: identifier)
                }
            }
        }
        return AppliedSecurityEffects(sessionsRevoked: revoked, holds: holds)
    }

    /// Lifts every sign-in lock of the account (audited when one was in force) and forgets the
    /// recovery failures of each of its identifiers.
    private func liftLocks(accountId: String, reason: String, origin: RequestOrigin, in stores: any KeywardStores) async throws {
        let now = clock.now()
        if try await stores.guesses.clearAll(accountId: accountId, now: now) {
            try await stores.audit.record(AuditEvent(
                kind: .lockLifted, outcome: .success, accountId: accountId, origin: origin, at: now,
                details: ["reason": reason]))
        }
        for binding in try await stores.accounts.identifiers(accountId: accountId) {
            _ = try await stores.guesses.clear(.recovery(identifier: binding.identifier.value), now: now)
        }
    }
}
