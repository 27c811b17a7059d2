public import Foundation
import KeywardCrypto

/// What binding or changing a phone number or email address needs proven.
public enum ContactProof: String, Sendable, CaseIterable {
    /// The code sent to the new phone number or address.
    case newCode
    /// The code sent to the current one, which still works.
    case oldCode
    /// With the current one lost: the code sent to the account's other channel (email for a phone
    /// change, phone for an email change)…
    case otherCode
    /// …and a code from the authenticator app.
    case totpCode
}

/// A started change: the flow and what its verification needs.
public struct ContactChangeStarted: Sendable {
    /// The flow id.
    public let flowId: String
    /// Whether the current phone number or address must confirm too.
    public let verifyOld: Bool
    /// Every proof the verification needs.
    public let proofs: [ContactProof]
    /// When the flow expires.
    public let expiresAt: Date
    /// When codes may be sent again.
    public let resendAvailableAt: Date
    /// Where each code goes, masked.
    public let destinations: [ContactProof: String]
}

/// Binding or changing the phone number or email address of a signed-in account.
///
/// The new one is proven with a code. The current one must confirm too while it still works; when it
/// is lost, the person proves control with the account's other channel plus its authenticator
/// instead. With neither, only support can help. The change notifies the old and new addresses and
/// every other channel, and holds withdrawals.
public struct ContactChangeService: Sendable {
    private let database: any KeywardDatabase
    private let codes: OneTimeCodes
    private let credentials: CredentialMethods
    private let guesses: GuessCounter
    private let reauthentication: ReauthenticationService
    private let effects: SecurityEffectsApplier
    private let holds: ChangeHoldSettings
    private let clock: any KeywardClock
    /// How long the person has to enter the codes (default 10 minutes).
    public let flowLifetime: TimeInterval

    /// A service over the given parts.
    public init(database: any KeywardDatabase, codes: OneTimeCodes, credentials: CredentialMethods, guesses: GuessCounter,
                reauthentication: ReauthenticationService, effects: SecurityEffectsApplier, holds: ChangeHoldSettings,
                clock: any KeywardClock,
                flowLifetime: TimeInterval = 600) {
        self.database = database
        self.codes = codes
        self.credentials = credentials
        self.guesses = guesses
        self.reauthentication = reauthentication
        self.effects = effects
        self.holds = holds
        self.clock = clock
        self.flowLifetime = flowLifetime
    }

    /// Starts changing the account's identifier of `kind` to `raw`, sending the codes the change
    /// needs. `oldAvailable` false says the current one can no longer receive codes.
    public func start(session: Session, kind: Identifier.Kind, value raw: String, oldAvailable: Bool,
                      origin: RequestOrigin) async throws -> ContactChangeStarted {
        try reauthentication.requireFresh(session)
        let new = try Identifier.parse(raw)
        guard new.kind == kind else { throw KeywardError.contactKindMismatch }
        let stores = database.stores
        let bound = try await stores.accounts.identifiers(accountId: session.accountId).filter { $0.verifiedAt != nil }
        let old = bound.first { $0.identifier.kind == kind }?.identifier
        if old == new { throw KeywardError.contactUnchanged }
        if let owner = try await stores.accounts.find(identifier: new), owner.status == .active, owner.id != session.accountId {
            throw KeywardError.identifierTaken
        }
        var targets: [(proof: ContactProof, identifier: Identifier)] = [(.newCode, new)]
        var proofs: [ContactProof] = [.newCode]
        if let old {
            if oldAvailable {
                targets.append((.oldCode, old))
                proofs.append(.oldCode)
            } else {
                guard let other = bound.first(where: { $0.identifier.kind != kind })?.identifier,
                      try await stores.authenticators.find(accountId: session.accountId, state: .active) != nil
                else { throw KeywardError.contactChangeNeedsSupport }
                targets.append((.otherCode, other))
                proofs += [.otherCode, .totpCode]
            }
        }
        // The new address's code must go now; the others follow as soon as their resend interval
        // allows (the current address may have had a re-authentication code moments ago).
        try await codes.checkSendLimits(to: new, accountId: session.accountId, origin: origin, in: database)
        let needed = proofs
        let flow = try await database.transaction { stores in
            let now = clock.now()
            let flow = try await stores.flows.start(
                ContactChangeFlow.self, id: SecureRandom.uuid(), state: .codesSent, accountId: session.accountId,
                identifier: new, at: now, lifetime: flowLifetime,
                context: ContactChangeFlow.Context(old: old?.value, proofs: FlowList(needed)))
            _ = try await codes.send(for: flow.record, purpose: ContactProof.newCode.rawValue, to: new, reason: .newContact,
                                     origin: origin, in: stores)
            try await stores.audit.record(AuditEvent(
                kind: .contactChangeStarted, outcome: .success, accountId: session.accountId, origin: origin, at: now,
                details: ["flowId": flow.id, "kind": kind.rawValue, "proofs": Self.names(needed)]))
            return flow
        }
        let next = try await sendDue(Array(targets.dropFirst()), flow: flow.record, origin: origin)
        return ContactChangeStarted(flowId: flow.id, verifyOld: proofs.contains(.oldCode), proofs: proofs,
                                    expiresAt: flow.expiresAt,
                                    resendAvailableAt: max(next ?? .distantPast, codes.resendAvailableAt(after: flow.createdAt)),
                                    destinations: Dictionary(uniqueKeysWithValues: targets.map { ($0.proof, $0.identifier.masked) }))
    }

    /// Sends every code of the flow whose address may receive one now. Throws
    /// `code.resend_too_soon` when none may yet; returns when the next may be asked for.
    public func resend(session: Session, kind: Identifier.Kind, flowId: String, origin: RequestOrigin) async throws -> Date {
        let flow = try await waitingFlow(flowId, kind: kind, session: session)
        let targets = try await targets(of: flow, accountId: session.accountId)
        if let next = try await sendDue(targets, flow: flow.record, origin: origin) { return next }
        let now = clock.now()
        var earliest: Date?
        for target in targets {
            guard let last = try await database.stores.codes.lastSent(destination: target.identifier.value) else { continue }
            let availableAt = codes.resendAvailableAt(after: last)
            earliest = min(earliest ?? availableAt, availableAt)
        }
        let availableAt = max(earliest ?? now, now)
        throw KeywardError.resendTooSoon(retryAfter: max(1, Int(availableAt.timeIntervalSince(now).rounded(.up))),
                                         availableAt: availableAt)
    }

    /// Sends the code of each target whose address may receive one now, each in its own transaction,
    /// skipping those still within their resend interval. Returns when the last one sent allows the
    /// next, or `nil` when none was sent.
    private func sendDue(_ targets: [(proof: ContactProof, identifier: Identifier)], flow: Flow,
                         origin: RequestOrigin) async throws -> Date? {
        var next: Date?
        for target in targets {
            do {
                try await codes.checkSendLimits(to: target.identifier, accountId: flow.accountId, origin: origin, in: database)
            } catch let error as KeywardError where error.code == "code.resend_too_soon" || error.code == "rate_limited" {
                continue  // this one follows on a later resend; the others still go now
            }
            next = try await database.transaction { stores in
                try await codes.send(for: flow, purpose: target.proof.rawValue, to: target.identifier,
                                     reason: target.proof == .newCode ? .newContact : .confirmation, origin: origin, in: stores)
            }
        }
        return next
    }

    /// Checks every proof the flow needs and, when all hold, binds the new identifier in place of the
    /// old one. `entered` maps each proof to what the person typed.
    public func verify(session: Session, kind: Identifier.Kind, flowId: String, entered: [ContactProof: String],
                       origin: RequestOrigin) async throws -> Identifier {
        let flow = try await waitingFlow(flowId, kind: kind, session: session)
        guard let new = flow.identifier else { throw KeywardError.flowNotFound }
        let proofs = flow.context.proofs.values
        for proof in proofs where (entered[proof] ?? "").isEmpty {
            throw proof == .oldCode ? KeywardError.contactOldCodeRequired : KeywardError.contactCodeRequired(proof.rawValue)
        }
        let stores = database.stores
        for proof in proofs where proof != .totpCode {
            if try await stores.codes.latest(flowId: flow.id, purpose: proof.rawValue) == nil {
                throw KeywardError.secondFactorCodeNotSent
            }
        }
        var checked: [VerificationCode] = []
        for proof in proofs {
            let value = entered[proof] ?? ""
            do {
                if proof == .totpCode {
                    try await checkAuthenticator(value, flow: flow.record, origin: origin)
                } else {
                    checked.append(try await codes.check(value, flow: flow.record, purpose: proof.rawValue, origin: origin,
                                                         in: stores))
                }
            } catch var failure as KeywardError where failure.isWrongGuess {
                failure.details["field"] = .string(proof.rawValue)  // which of the codes was wrong
                throw failure
            }
        }
        let old = flow.context.old.map { Identifier(kind: kind, value: $0) }
        let codesToUse = checked
        return try await database.transaction { stores in
            let now = clock.now()
            for code in codesToUse { try await codes.consume(code, in: stores) }
            try await stores.flows.advance(flow, from: .codesSent, to: .completed, at: now)
            guard try await stores.accounts.bindIdentifier(new, accountId: session.accountId, replacing: old, at: now) else {
                throw KeywardError.identifierTaken
            }
            let change: SecurityChange = switch (kind, old) {
            case (.phone, nil): .phoneAdded
            case (.phone, _): .phoneChanged
            case (.email, nil): .emailAdded
            case (.email, _): .emailChanged
            }
            _ = try await effects.apply(SecurityEffects(
                event: kind == .phone ? .phoneChanged : .emailChanged,
                details: ["flowId": flow.id, "replaced": old == nil ? "false" : "true", "proofs": Self.names(proofs)],
                hold: (change.rawValue, holds.afterContactChange), notice: .change(change), alsoTell: old.map { [$0] } ?? []),
                accountId: session.accountId, origin: origin, in: stores)
            return new
        }
    }

    /// An authenticator code checked as a guess in the sign-in lockout.
    private func checkAuthenticator(_ code: String, flow: Flow, origin: RequestOrigin) async throws {
        guard let accountId = flow.accountId else { throw KeywardError.flowNotFound }
        let stores = database.stores
        let factors = try await AccountFactors.load(accountId: accountId, in: stores)
        guard factors.authenticator else { throw KeywardError.contactChangeNeedsSupport }
        let scope = GuessScope.account(accountId: accountId)
        _ = try await guesses.guess(scope, origin: origin, in: database) {
            try await credentials.verify(.totp, code, CredentialAttempt(flow: flow, factors: factors, origin: origin), in: stores)
        }
        // A right code here proves the change, not a sign-in: it neither counts nor clears failures.
        try await guesses.release(scope, in: stores)
    }

    /// Where each code of the flow goes.
    private func targets(of flow: LoadedFlow<ContactChangeFlow>, accountId: String) async throws -> [(proof: ContactProof, identifier: Identifier)] {
        guard let new = flow.identifier else { throw KeywardError.flowNotFound }
        let bound = try await database.stores.accounts.identifiers(accountId: accountId).filter { $0.verifiedAt != nil }
        var targets: [(proof: ContactProof, identifier: Identifier)] = [(.newCode, new)]
        for proof in flow.context.proofs.values {
            switch proof {
            case .oldCode:
                if let old = flow.context.old { targets.append((.oldCode, Identifier(kind: new.kind, value: old))) }
            case .otherCode:
                if let other = bound.first(where: { $0.identifier.kind != new.kind })?.identifier {
                    targets.append((.otherCode, other))
                }
            case .newCode, .totpCode:
                break
            }
        }
        return targets
    }

    private func waitingFlow(_ id: String, kind: Identifier.Kind, session: Session) async throws -> LoadedFlow<ContactChangeFlow> {
        try await database.stores.flows.load(id, as: ContactChangeFlow.self, in: .codesSent, accountId: session.accountId,
                                             matching: { $0.identifier?.kind == kind }, now: clock.now())
    }

    /// The proofs' names, for the audit trail.
    private static func names(_ proofs: [ContactProof]) -> String {
        proofs.map(\.rawValue).joined(separator: ",")
    }
}
