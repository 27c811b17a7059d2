public import Foundation

/// The person's side of a phone number or email address support replaced: it takes effect only with
/// the code sent to it, entered on the case page.
extension SupportDeskService {
    /// Sends a new code to the phone number or address support set on the case.
    public func resendContactCode(caseId: String, access: CaseAccess, origin: RequestOrigin) async throws -> Date {
        let flow = try await pendingContactFlow(caseId: caseId, access: access)
        guard let identifier = flow.identifier else { throw KeywardError.caseNoContactPending }
        try await codes.checkSendLimits(to: identifier, accountId: flow.accountId, origin: origin, in: database)
        return try await database.transaction { stores in
            try await codes.send(for: flow.record, to: identifier, reason: .newContact, origin: origin, in: stores)
        }
    }

    /// Binds the phone number or address support set on the case once the person enters the code
    /// sent to it, in place of the old one; ends every session, holds withdrawals, tells the old and
    /// new addresses and every other channel, and resolves the case.
    public func confirmContact(caseId: String, access: CaseAccess, code entered: String,
                               origin: RequestOrigin) async throws -> CaseView {
        let flow = try await pendingContactFlow(caseId: caseId, access: access)
        guard let identifier = flow.identifier, let accountId = flow.accountId else { throw KeywardError.caseNoContactPending }
        let code = try await codes.check(entered, flow: flow.record, origin: origin, in: database.stores)
        return try await database.transaction { stores in
            let now = clock.now()
            try await codes.consume(code, in: stores)
            try await stores.flows.advance(flow, from: .codeSent, to: .completed, at: now)
            guard let supportCase = try await stores.cases.find(id: caseId),
                  let action = try await stores.cases.action(id: flow.context.actionId)
            else { throw KeywardError.caseNotFound }
            let old = try await stores.accounts.identifiers(accountId: accountId)
                .first { $0.identifier.kind == identifier.kind }?.identifier
            guard try await stores.accounts.bindIdentifier(identifier, accountId: accountId, replacing: old, at: now) else {
                throw KeywardError.identifierTaken
            }
            var details = ["caseId": caseId, "actionId": action.id, "staffId": action.proposedBy, "bySupport": "true",
                           "replaced": old == nil ? "false" : "true"]
            if let approvedBy = action.approvedBy { details["approvedBy"] = approvedBy }
            let change: SecurityChange = identifier.kind == .phone ? .phoneChangedBySupport : .emailChangedBySupport
            _ = try await effects.apply(SecurityEffects(
                event: identifier.kind == .phone ? .phoneChanged : .emailChanged, details: details, revocation: .all,
                liftsLocks: true, hold: (change.rawValue, holds.afterSupportReset), notice: .change(change),
                alsoTell: old.map { [$0] } ?? []), accountId: accountId, origin: origin, in: stores)
            try await decide(supportCase, .resolved, decision: Self.decision(action), in: stores)
            return try await cases.view(of: try await stores.cases.find(id: caseId) ?? supportCase, in: stores)
        }
    }

    /// The new phone number or address support set on the case that waits for the person's code, if any.
    public func pendingContact(caseId: String, access: CaseAccess) async throws -> Identifier? {
        do {
            return try await pendingContactFlow(caseId: caseId, access: access).identifier
        } catch let error as KeywardError where error.code == "case.no_contact_pending" {
            return nil
        }
    }

    private func pendingContactFlow(caseId: String, access: CaseAccess) async throws -> LoadedFlow<SupportContactFlow> {
        let supportCase = try await cases.authorize(caseId: caseId, access: access)
        guard !supportCase.status.isClosed,
              let flow = try await database.stores.flows.newest(SupportContactFlow.self, accountId: supportCase.accountId,
                                                                in: .codeSent),
              flow.context.caseId == caseId, flow.expiresAt > clock.now()
        else { throw KeywardError.caseNoContactPending }
        return flow
    }
}
