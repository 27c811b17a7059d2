public import Foundation
import KeywardCrypto

/// "Can't sign in?": a person gives the email address or phone number they sign in with, proves
/// they hold it with the code sent there, and learns from the same diagnosis support uses what
/// stands between them and their account, and the way out of each.
///
/// The code goes only to an identifier an account (or a pending registration) has. In strict mode
/// (`login.revealAccountExistence` false) any other identifier is answered the same after the same
/// limits, and no code can open it; in reveal mode it is told at once that no account has it.
public struct SignInHelpService: Sendable {
    private let database: any KeywardDatabase
    private let codes: OneTimeCodes
    private let diagnostics: SignInDiagnostics
    private let freezeLinks: FreezeLinks
    private let lockout: LockoutSettings
    private let clock: any KeywardClock
    private let baseURL: String
    private let revealAccountExistence: Bool
    private let lifetime: TimeInterval

    /// The troubleshooter over `database`; its links lead to `baseURL`, and a help waits `lifetime`
    /// for its code.
    public init(database: any KeywardDatabase, codes: OneTimeCodes, diagnostics: SignInDiagnostics,
                freezeLinks: FreezeLinks, lockout: LockoutSettings, clock: any KeywardClock, baseURL: String,
                revealAccountExistence: Bool, lifetime: TimeInterval) {
        self.database = database
        self.codes = codes
        self.diagnostics = diagnostics
        self.freezeLinks = freezeLinks
        self.lockout = lockout
        self.clock = clock
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.revealAccountExistence = revealAccountExistence
        self.lifetime = lifetime
    }

    /// Starts a help for `raw` and sends its code. Throws `identifier.invalid`, the sending limits'
    /// `code.resend_too_soon` or `rate_limited`, and in reveal mode `account.not_found`.
    public func start(identifier raw: String, origin: RequestOrigin) async throws -> SignInHelpStarted {
        let identifier = try Identifier.parse(raw)
        let account = try await database.stores.accounts.find(identifier: identifier)
        try await codes.checkSendLimits(to: identifier, accountId: account?.id, origin: origin, in: database)
        if account == nil && revealAccountExistence { throw KeywardError.accountNotFound }
        return try await database.transaction { stores in
            let flow = try await stores.flows.start(SignInHelpFlow.self, id: SecureRandom.uuid(), state: .codeSent,
                                                    accountId: account?.id, identifier: identifier, at: clock.now(),
                                                    lifetime: lifetime, context: NoFlowContext())
            let resendAt = try await codes.send(for: flow.record, to: identifier, reason: .signInHelp, origin: origin,
                                                in: stores, deliver: account != nil)
            return SignInHelpStarted(helpId: flow.id, channel: identifier.channel, resendAvailableAt: resendAt)
        }
    }

    /// Sends a new code for the help `helpId`, within the same limits as the first. Throws the
    /// help's flow errors and the sending limits'.
    public func resend(helpId: String, origin: RequestOrigin) async throws -> SignInHelpStarted {
        let flow = try await database.stores.flows.load(helpId, as: SignInHelpFlow.self, in: .codeSent, now: clock.now())
        guard let identifier = flow.identifier else { throw KeywardError.helpNotFound }
        try await codes.checkSendLimits(to: identifier, accountId: flow.accountId, origin: origin, in: database)
        return try await database.transaction { stores in
            let resendAt = try await codes.send(for: flow.record, to: identifier, reason: .signInHelp, origin: origin,
                                                in: stores, deliver: flow.accountId != nil)
            return SignInHelpStarted(helpId: flow.id, channel: identifier.channel, resendAvailableAt: resendAt)
        }
    }

    /// Where the help `helpId` waiting for its code stands: the identifier's channel and when
    /// another code may be asked for. Throws the help's flow errors.
    public func pending(helpId: String) async throws -> (identifier: Identifier, resendAvailableAt: Date) {
        let flow = try await database.stores.flows.load(helpId, as: SignInHelpFlow.self, in: .codeSent, now: clock.now())
        guard let identifier = flow.identifier else { throw KeywardError.helpNotFound }
        let latest = try await database.stores.codes.latest(flowId: flow.id, purpose: nil)
        return (identifier, codes.resendAvailableAt(after: latest?.createdAt ?? flow.createdAt))
    }

    /// Checks the code of the help `helpId` and returns the findings, most pressing first. The look
    /// is audited on the account. Throws the help's flow errors, `code.invalid` (for any code when
    /// no account has the identifier), `code.exhausted` or `code.expired`.
    public func verify(helpId: String, code entered: String, origin: RequestOrigin) async throws -> [SignInHelpFinding] {
        let flow = try await database.stores.flows.load(helpId, as: SignInHelpFlow.self, in: .codeSent, now: clock.now())
        let code = try await codes.check(entered, flow: flow.record, origin: origin, in: database.stores)
        guard let accountId = flow.accountId, let identifier = flow.identifier else {
            throw KeywardError.codeInvalid(attemptsRemaining: 0)  // never reached: no code was delivered
        }
        let diagnosis = try await diagnostics.gather(identifier)
        let now = clock.now()
        return try await database.transaction { stores in
            try await codes.consume(code, in: stores)
            try await stores.flows.advance(flow, from: .codeSent, to: .completed, at: now)
            // The person proved the inbox or phone a notice would go to: the freeze link is theirs.
            let unfamiliar = SignInDiagnosis.recentUnfamiliarSignIn(diagnosis.events, now: now)
            let frozen = diagnosis.restrictions.contains { $0.kind == .frozen }
            let link = unfamiliar != nil && !frozen ? try await freezeLinks.issue(accountId: accountId, in: stores) : nil
            try await stores.audit.record(AuditEvent(kind: .signInHelpViewed, outcome: .success, accountId: accountId,
                                                     origin: origin, at: now, details: ["helpId": flow.id]))
            return SignInHelpFindings(catalogue: .english, baseURL: baseURL, lockout: lockout, now: now)
                .findings(diagnosis, since: flow.createdAt, freezeLink: link)
        }
    }
}
