public import Foundation
public import KeywardCrypto

/// Everything a member of staff sees of a case: the case as the person sees it, what the person
/// proved, the account's diagnosis and recent security events, the actions taken or waiting, and the
/// account's other cases.
public struct StaffCaseDetail: Sendable {
    /// The case, its requirements, documents and thread.
    public let view: CaseView
    /// Why the account's owner may not be able to sign in, from its first verified identifier.
    public let diagnosis: SignInDiagnosis?
    /// The account's newest security events.
    public let events: [AuditEvent]
    /// The case's actions, oldest first.
    public let actions: [CaseAction]
    /// The account's other cases, newest first.
    public let otherCases: [SupportCase]
}

/// The support desk's staff side: the queue, a case with everything needed to decide it, the
/// person's documents (every view audited), and actions, the dangerous ones with a second person.
///
/// Actions change the account through ``SecurityEffectsApplier``, as the person's own changes do:
/// audited on the account with the staff ids, told on every channel, sessions ended and
/// withdrawals held after a reset. A new phone number or email address only takes effect once the
/// person enters the code sent to it on the case page.
public struct SupportDeskService: Sendable {
    let database: any KeywardDatabase
    let cases: SupportCaseService
    let codes: OneTimeCodes
    let effects: SecurityEffectsApplier
    let diagnostics: SignInDiagnostics
    let sealer: Sealer
    let clock: any KeywardClock
    let holds: ChangeHoldSettings
    /// Whether the dangerous actions need a second person (`support.fourEyes`, default true).
    public let fourEyes: Bool
    /// How long a new phone number or address set by support waits for its code (7 days).
    public let contactLifetime: TimeInterval

    /// A desk over the given parts.
    public init(database: any KeywardDatabase, cases: SupportCaseService, codes: OneTimeCodes,
                effects: SecurityEffectsApplier, diagnostics: SignInDiagnostics, sealer: Sealer, clock: any KeywardClock,
                holds: ChangeHoldSettings, fourEyes: Bool, contactLifetime: TimeInterval = 7 * 86400) {
        self.database = database
        self.cases = cases
        self.codes = codes
        self.effects = effects
        self.diagnostics = diagnostics
        self.sealer = sealer
        self.clock = clock
        self.holds = holds
        self.fourEyes = fourEyes
        self.contactLifetime = contactLifetime
    }

    // MARK: Reading

    /// Cases in `status` (by default those waiting on support: in review), due soonest first.
    public func queue(status raw: String?) async throws -> [SupportCase] {
        let statuses: [SupportCase.Status]
        if let raw {
            guard let status = SupportCase.Status(rawValue: raw) else { throw KeywardError.requestInvalidField("status") }
            statuses = [status]
        } else {
            statuses = [.inReview]
        }
        return try await database.stores.cases.queue(statuses: statuses, limit: 200)
    }

    /// Every case, newest first, for an operator's own helpdesk.
    public func all() async throws -> [SupportCase] {
        try await database.stores.cases.all(limit: 200)
    }

    /// Whether a case is past its answer time now.
    public func isOverdue(_ supportCase: SupportCase) -> Bool {
        guard let due = supportCase.respondBy, !supportCase.status.isClosed, supportCase.status != .waitingForPerson else {
            return false
        }
        return due < clock.now()
    }

    /// The case with everything needed to decide it.
    public func detail(caseId: String, origin: RequestOrigin) async throws -> StaffCaseDetail {
        let stores = database.stores
        guard let supportCase = try await stores.cases.find(id: caseId) else { throw KeywardError.caseNotFound }
        let view = try await cases.view(of: supportCase, in: stores)
        let identifiers = try await stores.accounts.identifiers(accountId: supportCase.accountId).filter { $0.verifiedAt != nil }
        var diagnosis: SignInDiagnosis?
        if let first = identifiers.first {
            diagnosis = try await diagnostics.diagnose(identifier: first.identifier.value, origin: origin)
        }
        return StaffCaseDetail(
            view: view, diagnosis: diagnosis,
            events: try await stores.audit.recent(accountId: supportCase.accountId, limit: 30),
            actions: try await stores.cases.actions(caseId: caseId),
            otherCases: try await stores.cases.list(accountId: supportCase.accountId).filter { $0.id != caseId })
    }

    /// One of the person's documents, opened, for a member of staff; the view is audited on the
    /// account with the staff id.
    public func document(caseId: String, documentId: String, staff: StaffMember,
                         origin: RequestOrigin) async throws -> (document: CaseDocument, content: [UInt8]) {
        let stores = database.stores
        guard let supportCase = try await stores.cases.find(id: caseId),
              let (document, sealed) = try await stores.cases.documentContent(caseId: caseId, documentId: documentId)
        else { throw KeywardError.documentNotFound }
        let content = try sealer.openEnvelope(sealed, context: SupportCaseService.documentContext(document))
        try await stores.audit.record(AuditEvent(
            kind: .supportDocumentViewed, outcome: .success, accountId: supportCase.accountId, origin: origin, at: clock.now(),
            details: ["caseId": caseId, "documentId": documentId, "staffId": staff.id]))
        return (document, content)
    }

    /// Actions waiting for a second person, oldest first.
    public func awaitingApproval() async throws -> [CaseAction] {
        try await database.stores.cases.awaitingApproval()
    }

    // MARK: Acting

    /// Takes (or, when it needs a second person, proposes) an action on a case. `value` is the new
    /// phone number or email address, or the message, for the actions that have one.
    public func act(caseId: String, staff: StaffMember, action raw: String, reason rawReason: String, value rawValue: String?,
                    origin: RequestOrigin) async throws -> CaseAction {
        guard let kind = CaseAction.Kind(rawValue: raw) else { throw KeywardError.staffActionInvalid }
        let reason = try SupportCaseService.checkedText(rawReason, error: .staffActionInvalid)
        let stores = database.stores
        guard let supportCase = try await stores.cases.find(id: caseId) else { throw KeywardError.caseNotFound }
        guard !supportCase.status.isClosed else { throw KeywardError.caseClosed }
        let value = try await checkedValue(kind, rawValue, accountId: supportCase.accountId)
        let now = clock.now()
        let waits = kind.isDangerous && (fourEyes || !staff.role.approves)
        let action = CaseAction(id: SecureRandom.uuid(), caseId: caseId, kind: kind, reason: reason, value: value,
                                proposedBy: staff.id, status: waits ? .awaitingApproval : .applied, approvedBy: nil,
                                createdAt: now, appliedAt: waits ? nil : now)
        return try await database.transaction { stores in
            try await stores.cases.insertAction(action)
            try await stores.audit.record(AuditEvent(
                kind: .supportActionProposed, outcome: .success, accountId: supportCase.accountId, origin: origin, at: now,
                details: ["caseId": caseId, "actionId": action.id, "action": kind.rawValue, "staffId": staff.id,
                          "status": action.status.rawValue]))
            if !waits { try await apply(action, to: supportCase, approvedBy: nil, origin: origin, in: stores) }
            return action
        }
    }

    /// Approves another member's dangerous action and applies it. Throws
    /// `staff.role_insufficient` for an agent, `staff.self_approval` for its proposer,
    /// `staff.action_not_pending` once it was applied.
    public func approve(actionId: String, staff: StaffMember, origin: RequestOrigin) async throws -> CaseAction {
        let stores = database.stores
        guard let action = try await stores.cases.action(id: actionId) else { throw KeywardError.staffActionNotFound }
        guard staff.role.approves else { throw KeywardError.staffRoleInsufficient }
        guard action.proposedBy != staff.id else { throw KeywardError.staffSelfApproval }
        guard action.status == .awaitingApproval else { throw KeywardError.staffActionNotPending }
        guard let supportCase = try await stores.cases.find(id: action.caseId) else { throw KeywardError.caseNotFound }
        guard !supportCase.status.isClosed else { throw KeywardError.caseClosed }
        return try await database.transaction { stores in
            let now = clock.now()
            guard try await stores.cases.markApplied(actionId: action.id, approvedBy: staff.id, at: now) else {
                throw KeywardError.staffActionNotPending
            }
            try await stores.audit.record(AuditEvent(
                kind: .supportActionApproved, outcome: .success, accountId: supportCase.accountId, origin: origin, at: now,
                details: ["caseId": action.caseId, "actionId": action.id, "action": action.kind.rawValue,
                          "staffId": staff.id, "proposedBy": action.proposedBy]))
            var applied = action
            applied.status = .applied
            applied.approvedBy = staff.id
            applied.appliedAt = now
            try await apply(applied, to: supportCase, approvedBy: staff.id, origin: origin, in: stores)
            return applied
        }
    }

    /// The new phone number, address or message an action carries, checked; `nil` for the others.
    private func checkedValue(_ kind: CaseAction.Kind, _ raw: String?, accountId: String) async throws -> String? {
        switch kind {
        case .replacePhone, .replaceEmail:
            guard let raw else { throw KeywardError.staffActionInvalid }
            let identifier = try Identifier.parse(raw)
            guard identifier.kind == (kind == .replacePhone ? .phone : .email) else { throw KeywardError.contactKindMismatch }
            let stores = database.stores
            if try await stores.accounts.identifiers(accountId: accountId).contains(where: { $0.identifier == identifier }) {
                throw KeywardError.contactUnchanged
            }
            if let owner = try await stores.accounts.find(identifier: identifier), owner.status == .active, owner.id != accountId {
                throw KeywardError.identifierTaken
            }
            return identifier.value
        case .requestInfo:
            return try SupportCaseService.checkedText(raw ?? "", error: .staffActionInvalid)
        case .liftRestriction, .unfreeze:
            let kind = Self.restrictionKind(kind)
            guard try await database.stores.restrictions.active(accountId: accountId).contains(where: { $0.kind == kind })
            else { throw KeywardError.staffActionNotApplicable }
            return nil
        case .resetAuthenticator, .unlock, .revokeSessions, .reject:
            return nil
        }
    }

    /// Applies an action, in its transaction.
    private func apply(_ action: CaseAction, to supportCase: SupportCase, approvedBy: String?, origin: RequestOrigin,
                       in stores: any KeywardStores) async throws {
        let accountId = supportCase.accountId
        var details = ["caseId": supportCase.id, "actionId": action.id, "staffId": action.proposedBy, "reason": action.reason]
        if let approvedBy { details["approvedBy"] = approvedBy }
        switch action.kind {
        case .resetAuthenticator:
            _ = try await stores.authenticators.removeAll(accountId: accountId)
            for passkey in try await stores.passkeys.list(accountId: accountId) {
                _ = try await stores.passkeys.delete(id: passkey.id, accountId: accountId)
            }
            try await stores.recoveryCodes.replaceAll(accountId: accountId, with: [])
            _ = try await effects.apply(SecurityEffects(
                event: .supportAuthenticatorReset, details: details, revocation: .all, liftsLocks: true,
                hold: (SecurityChange.authenticatorResetBySupport.rawValue, holds.afterSupportReset),
                notice: .change(.authenticatorResetBySupport)), accountId: accountId, origin: origin, in: stores)
            try await decide(supportCase, .resolved, decision: Self.decision(action), in: stores)
        case .replacePhone, .replaceEmail:
            guard let value = action.value else { throw KeywardError.staffActionInvalid }
            let identifier = Identifier(kind: action.kind == .replacePhone ? .phone : .email, value: value)
            let now = clock.now()
            let flow = try await stores.flows.start(SupportContactFlow.self, id: SecureRandom.uuid(), state: .codeSent,
                                                    accountId: accountId, identifier: identifier, at: now,
                                                    lifetime: contactLifetime,
                                                    context: SupportContactFlow.Context(caseId: supportCase.id, actionId: action.id))
            _ = try await codes.send(for: flow.record, to: identifier, reason: .newContact, origin: origin, in: stores)
            try await stores.audit.record(AuditEvent(kind: .supportContactProposed, outcome: .success, accountId: accountId,
                                                     origin: origin, at: now,
                                                     details: details.merging(["kind": identifier.kind.rawValue]) { $1 }))
            try await write(supportCase, Self.contactRequest(identifier), staffId: action.proposedBy, in: stores)
        case .unlock:
            _ = try await effects.apply(SecurityEffects(event: .supportUnlocked, details: details, liftsLocks: true,
                                                        notice: .change(.unlockedBySupport)),
                                        accountId: accountId, origin: origin, in: stores)
            try await decide(supportCase, .resolved, decision: Self.decision(action), in: stores)
        case .revokeSessions:
            _ = try await effects.apply(SecurityEffects(event: .supportSessionsRevoked, details: details, revocation: .all,
                                                        notice: .change(.signedOutBySupport)),
                                        accountId: accountId, origin: origin, in: stores)
            try await decide(supportCase, .resolved, decision: Self.decision(action), in: stores)
        case .reject:
            try await stores.audit.record(AuditEvent(kind: .supportCaseDecided, outcome: .success, accountId: accountId,
                                                     origin: origin, at: clock.now(),
                                                     details: details.merging(["decision": "rejected"]) { $1 }))
            try await decide(supportCase, .rejected, decision: Self.decision(action), in: stores)
        case .requestInfo:
            try await write(supportCase, action.value ?? action.reason, staffId: action.proposedBy, in: stores)
        case .liftRestriction, .unfreeze:
            // Lifted meanwhile (by an operator, or another action): nothing is left to do.
            guard try await AccountRestrictions(database: database, effects: effects, clock: clock).lift(
                Self.restrictionKind(action.kind), by: action.proposedBy, details: details, accountId: accountId,
                origin: origin, in: stores) != nil
            else { throw KeywardError.staffActionNotApplicable }
            try await decide(supportCase, .resolved, decision: Self.decision(action), in: stores)
        }
    }

    /// The restriction `lift_restriction` or `unfreeze` lifts.
    private static func restrictionKind(_ kind: CaseAction.Kind) -> AccountRestriction.Kind {
        kind == .unfreeze ? .frozen : .restricted
    }

    /// Adds support's message to the thread, waits for the person, and tells them.
    private func write(_ supportCase: SupportCase, _ body: String, staffId: String, in stores: any KeywardStores) async throws {
        let now = clock.now()
        try await stores.cases.addMessage(CaseMessage(id: SecureRandom.uuid(), caseId: supportCase.id, author: .support,
                                                      staffId: staffId, body: body, at: now))
        _ = try await stores.cases.transition(id: supportCase.id, from: [.open, .inReview], to: .waitingForPerson, at: now,
                                              respondBy: nil, closedAt: nil, decision: nil)
        try await cases.notify(.supportWrote, supportCase, in: stores)
    }

    /// Closes the case with `decision` and tells the person.
    func decide(_ supportCase: SupportCase, _ status: SupportCase.Status, decision: String,
                        in stores: any KeywardStores) async throws {
        let now = clock.now()
        guard try await stores.cases.transition(id: supportCase.id, from: [.open, .inReview, .waitingForPerson], to: status,
                                                at: now, respondBy: nil, closedAt: now, decision: decision)
        else { throw KeywardError.caseClosed }
        try await cases.notify(status == .resolved ? .resolved : .rejected, supportCase, in: stores)
    }

    // MARK: Words

    /// What the person is told of an action that closed their case.
    static func decision(_ action: CaseAction) -> String {
        let what: String = switch action.kind {
        case .resetAuthenticator:
            "Support reset your authenticator app. Sign in with a code sent to your email or phone, then set up a new authenticator app."
        case .replacePhone: "Your new phone number is confirmed and replaces the old one."
        case .replaceEmail: "Your new email address is confirmed and replaces the old one."
        case .unlock: "Support lifted the lock on your account. You can sign in again."
        case .revokeSessions: "Support signed your account out on every device."
        case .reject: "Support declined this case."
        case .liftRestriction: "Support lifted the restriction on your account. You can sign in again."
        case .unfreeze: "Support unfroze your account. You can sign in again."
        case .requestInfo: ""
        }
        return "\(what) \(action.reason)".trimmingCharacters(in: .whitespaces)
    }

    /// Support's message asking the person to confirm a new phone number or address.
    static func contactRequest(_ identifier: Identifier) -> String {
        let what = identifier.kind == .phone ? "phone number" : "email address"
        return "We set \(identifier.masked) as your new \(what). Enter the code we sent to it on this page to finish; until then nothing changes."
    }
}
