public import Foundation

/// Why someone may be unable to sign in, as support sees it: what the identifier leads to, and
/// each obstacle found, most pressing first, with a sentence support can act on or read out.
public struct SignInDiagnosis: Sendable {
    /// One obstacle, or one fact that explains a complaint.
    public struct Finding: Sendable, Equatable {
        /// A stable code: `account.not_found`, `account.registration_incomplete`, `account.locked`,
        /// `device.locked`, `failures.recent`, `delivery.failed`, `delivery.retrying`,
        /// `rate_limited.recent`, `hold.active`, `sign_in.unfamiliar`, `authenticator.required`,
        /// `account.restricted`, `account.frozen`, `risk.not_enforced`, `recovery.paused`.
        public let code: String
        /// What it means and what to do, in one or two sentences.
        public let detail: String
        /// The moment it concerns (a lock's end, a failed message's time), if any.
        public let at: Date?

        /// A finding.
        public init(code: String, detail: String, at: Date? = nil) {
            self.code = code
            self.detail = detail
            self.at = at
        }
    }

    /// What was looked up.
    public let identifier: Identifier
    /// The account it leads to, if any.
    public let account: Account?
    /// The account's email addresses and phone numbers.
    public let identifiers: [AccountIdentifier]
    /// Whether sign-in needs the authenticator app.
    public let authenticatorBound: Bool
    /// The account's failure counters and locks.
    public let counters: [FailureCounter]
    /// Holds in force.
    public let holds: [SecurityHold]
    /// The newest messages to the account, without their text.
    public let messages: [OutboxRecord]
    /// The newest security events.
    public let events: [AuditEvent]
    /// The flows the person is in the middle of (a sign-in waiting for its second factor, a
    /// recovery, an authenticator or passkey being added, a contact change).
    public let openFlows: [Flow]
    /// Risk control's newest decisions on the account, with their signals, newest first.
    public let riskEvaluations: [RiskEvaluation]
    /// The restrictions and freezes in force.
    public let restrictions: [AccountRestriction]
    /// The obstacles, most pressing first; empty when nothing stands in the way.
    public let findings: [Finding]
}

extension SignInDiagnosis {
    /// The newest sign-in of the last 7 days that was told to the owner as unfamiliar, among `events`.
    static func recentUnfamiliarSignIn(_ events: [AuditEvent], now: Date) -> AuditEvent? {
        events.first { $0.kind == .loginSucceeded && $0.details["unfamiliar"] != nil && $0.at > now.addingTimeInterval(-7 * 86400) }
    }
}

/// Looks up why someone cannot sign in, for support: the account behind an email address or
/// phone number, its locks and failure counts, holds, the fate of the codes and notices sent to
/// it, and its recent security events, summed up as findings. Every lookup is audited on the
/// account, so its owner sees that support looked. The "Can't sign in?" troubleshooter reads the
/// same facts through ``gather(_:)`` once the person proved they hold the identifier.
public struct SignInDiagnostics: Sendable {
    private let database: any KeywardDatabase
    private let lockout: LockoutSettings
    private let clock: any KeywardClock

    /// Diagnostics over `database`, judging counters by `lockout`.
    public init(database: any KeywardDatabase, lockout: LockoutSettings, clock: any KeywardClock) {
        self.database = database
        self.lockout = lockout
        self.clock = clock
    }

    /// The diagnosis for `raw` (an email address or E.164 phone number). Throws
    /// `identifier.invalid` for anything else.
    public func diagnose(identifier raw: String, origin: RequestOrigin) async throws -> SignInDiagnosis {
        let diagnosis = try await gather(Identifier.parse(raw))
        if let account = diagnosis.account {
            try await database.stores.audit.record(AuditEvent(kind: .supportDiagnosed, outcome: .success, accountId: account.id,
                                                              origin: origin, at: clock.now()))
        }
        return diagnosis
    }

    /// The diagnosis of `identifier`, unaudited: the caller records who looked.
    public func gather(_ identifier: Identifier) async throws -> SignInDiagnosis {
        let stores = database.stores
        let now = clock.now()
        guard let account = try await stores.accounts.find(identifier: identifier) else {
            return SignInDiagnosis(
                identifier: identifier, account: nil, identifiers: [], authenticatorBound: false, counters: [], holds: [],
                messages: [], events: [], openFlows: [], riskEvaluations: [], restrictions: [],
                findings: [SignInDiagnosis.Finding(
                    code: "account.not_found",
                    detail: "No account uses \(identifier.value). The person may have registered with another email address or phone number, or on a site imitating this one.")])
        }
        let identifiers = try await stores.accounts.identifiers(accountId: account.id)
        let authenticatorBound = try await stores.authenticators.find(accountId: account.id, state: .active) != nil
        let counters = try await stores.guesses.counters(accountId: account.id)
        let restrictions = try await stores.restrictions.active(accountId: account.id)
        let holds = try await stores.holds.active(accountId: account.id, now: now) + restrictions.map(\.hold)
        let messages = try await stores.outbox.recent(accountId: account.id, limit: 20)
        let events = try await stores.audit.recent(accountId: account.id, limit: 30)
        let openFlows = try await stores.flows.open(accountId: account.id, now: now)
        let riskEvaluations = try await stores.risk.evaluations(accountId: account.id, limit: 10)
        var findings: [SignInDiagnosis.Finding] = []
        if account.status == .pending {
            findings.append(.init(code: "account.registration_incomplete",
                                  detail: "Registration was started but its code was never entered. Registering again with the same \(identifier.kind == .phone ? "phone number" : "email address") resumes it."))
        }
        findings += lockFindings(counters, now: now)
        findings += deliveryFindings(messages)
        findings += eventFindings(events, now: now)
        findings += restrictions.map(Self.restrictionFinding)
        if let latest = riskEvaluations.first, latest.decision == .restrict, !latest.enforced,
           restrictions.isEmpty, let reason = latest.reason {
            findings.append(.init(code: "risk.not_enforced",
                                  detail: "Risk control would have restricted the account (\(reason.rawValue)) but risk.enabled is off, so it only recorded it: \(latest.signals.summary).",
                                  at: latest.at))
        }
        for hold in holds {
            guard let until = hold.until else { continue }  // a restriction's, told above
            findings.append(.init(code: "hold.active",
                                  detail: "\(hold.kind.capitalized) is paused (\(hold.reason)) until \(ISO8601.string(until)) UTC; signing in is not affected.",
                                  at: until))
        }
        if authenticatorBound {
            findings.append(.init(code: "authenticator.required",
                                  detail: "Sign-in needs a code from the authenticator app. On a new phone, the key saved at setup restores it; the phone's clock must be set automatically."))
        }
        return SignInDiagnosis(identifier: identifier, account: account, identifiers: identifiers,
                               authenticatorBound: authenticatorBound, counters: counters, holds: holds,
                               messages: messages, events: events, openFlows: openFlows, riskEvaluations: riskEvaluations,
                               restrictions: restrictions, findings: findings)
    }

    private static func restrictionFinding(_ restriction: AccountRestriction) -> SignInDiagnosis.Finding {
        let note = restriction.note.map { " Note: \($0)" } ?? ""
        switch restriction.kind {
        case .restricted:
            return .init(code: "account.restricted",
                         detail: "The account is restricted (\(restriction.reason.rawValue), by \(restriction.placedBy)): sign-in is refused after the right password and withdrawals are paused until support lifts it.\(note)",
                         at: restriction.placedAt)
        case .frozen:
            return .init(code: "account.frozen",
                         detail: "The owner froze the account: nobody can sign in and withdrawals are paused until support unfreezes it after an account_frozen case with identity documents.\(note)",
                         at: restriction.placedAt)
        }
    }

    private func lockFindings(_ counters: [FailureCounter], now: Date) -> [SignInDiagnosis.Finding] {
        var findings: [SignInDiagnosis.Finding] = []
        for counter in counters {
            let device = counter.scope.kind == .device
            if counter.scope.kind == .recovery {
                if let until = counter.lockedUntil, until > now {
                    findings.append(.init(
                        code: "recovery.paused",
                        detail: "Password recovery is paused until \(ISO8601.string(until)) UTC after too many wrong reset codes; signing in is not affected.",
                        at: until))
                }
                continue
            }
            if let until = counter.lockedUntil, until > now {
                findings.append(.init(
                    code: device ? "device.locked" : "account.locked",
                    detail: "\(device ? "One of the account's devices" : "The account") is locked until \(ISO8601.string(until)) UTC after too many wrong passwords or codes. Every attempt meanwhile extends the lock: wait, or reset the password, which lifts it.",
                    at: until))
            } else if counter.failedCount > 0, let since = counter.firstFailedAt,
                      since > now.addingTimeInterval(-lockout.window) {
                findings.append(.init(
                    code: "failures.recent",
                    detail: "\(counter.failedCount) wrong password\(counter.failedCount == 1 ? "" : "s") or code\(counter.failedCount == 1 ? "" : "s") since \(ISO8601.string(since)) UTC\(device ? " from one device" : ""); the lock comes at \(lockout.maxFailures).",
                    at: since))
            }
        }
        return findings
    }

    /// The newest message to each destination, when it was given up or is being retried.
    private func deliveryFindings(_ messages: [OutboxRecord]) -> [SignInDiagnosis.Finding] {
        var seen = Set<String>()
        var findings: [SignInDiagnosis.Finding] = []
        for message in messages where seen.insert(message.destination).inserted {
            let reason = message.delivery.lastError.map { ": \($0)" } ?? ""
            switch message.delivery.state {
            case .failed:
                findings.append(.init(code: "delivery.failed",
                                      detail: "The last message to \(message.destination) (\"\(message.subject)\") could not be delivered\(reason). Check the address or number with the person.",
                                      at: message.delivery.queuedAt))
            case .retrying:
                findings.append(.init(code: "delivery.retrying",
                                      detail: "The last message to \(message.destination) (\"\(message.subject)\") has not been taken yet and is retried\(reason).",
                                      at: message.delivery.nextAttemptAt))
            case .queued, .sent:
                break
            }
        }
        return findings
    }

    private func eventFindings(_ events: [AuditEvent], now: Date) -> [SignInDiagnosis.Finding] {
        var findings: [SignInDiagnosis.Finding] = []
        if let limited = events.first(where: { $0.kind == .rateLimited && $0.at > now.addingTimeInterval(-3600) }) {
            findings.append(.init(code: "rate_limited.recent",
                                  detail: "Requests were refused for coming too often (\(limited.details["action"] ?? "sign-in or codes")); asking again and again only prolongs the wait.",
                                  at: limited.at))
        }
        if let unfamiliar = SignInDiagnosis.recentUnfamiliarSignIn(events, now: now) {
            findings.append(.init(code: "sign_in.unfamiliar",
                                  detail: "A sign-in from a new \(unfamiliar.details["unfamiliar"] == "location" ? "country" : "network") (\(unfamiliar.ip ?? "unknown address")) succeeded; if it was not the owner, they should reset the password at once.",
                                  at: unfamiliar.at))
        }
        return findings
    }
}
