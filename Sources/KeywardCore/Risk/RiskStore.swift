public import Foundation

/// One check of a password at sign-in, as risk control counts it. The identifier is kept only as
/// a keyed hash: the table says how many were tried, never which.
public struct SignInAttempt: Sendable, Equatable {
    /// The client's network prefix, when its address is known.
    public let network: String?
    /// The country a trusted proxy named, if any.
    public let country: String?
    /// The keyed hash of the identifier tried.
    public let identifierHash: String
    /// The account the identifier leads to, if any.
    public let accountId: String?
    /// Whether the password was right.
    public let passwordRight: Bool
    /// When.
    public let at: Date

    /// An attempt.
    public init(network: String?, country: String?, identifierHash: String, accountId: String?, passwordRight: Bool, at: Date) {
        self.network = network
        self.country = country
        self.identifierHash = identifierHash
        self.accountId = accountId
        self.passwordRight = passwordRight
        self.at = at
    }
}

/// One decision of risk control, kept with the signals it was made from.
public struct RiskEvaluation: Sendable, Equatable {
    /// Where it was made.
    public enum Stage: String, Sendable, Codable {
        /// After the right password, before the second factor.
        case signIn = "sign_in"
    }

    /// A random id.
    public let id: String
    /// The account evaluated.
    public let accountId: String
    /// Where it was made.
    public let stage: Stage
    /// The decision.
    public let decision: RiskDecision
    /// Why, for `restrict`.
    public let reason: AccountRestriction.Reason?
    /// Whether it acted: `false` with `risk.enabled=false`, or when nothing needed doing.
    public let enforced: Bool
    /// What it was made from.
    public let signals: RiskSignals
    /// The client's network and country.
    public let network: String?
    /// The country a trusted proxy named, if any.
    public let country: String?
    /// When.
    public let at: Date

    /// An evaluation record.
    public init(id: String, accountId: String, stage: Stage, decision: RiskDecision, reason: AccountRestriction.Reason?,
                enforced: Bool, signals: RiskSignals, network: String?, country: String?, at: Date) {
        self.id = id
        self.accountId = accountId
        self.stage = stage
        self.decision = decision
        self.reason = reason
        self.enforced = enforced
        self.signals = signals
        self.network = network
        self.country = country
        self.at = at
    }
}

/// Stored sign-in attempts and risk evaluations.
public protocol RiskStore: Sendable {
    /// Records an attempt.
    func record(_ attempt: SignInAttempt) async throws
    /// Distinct identifiers whose password failed from `network` since `since`, and how many
    /// failures there were.
    func failures(network: String, since: Date) async throws -> (identifiers: Int, attempts: Int)
    /// Distinct networks and countries the account's right passwords came from since `since`.
    func places(accountId: String, since: Date) async throws -> (networks: Int, countries: Int)
    /// Records an evaluation.
    func record(_ evaluation: RiskEvaluation) async throws
    /// The account's newest evaluations, newest first.
    func evaluations(accountId: String, limit: Int) async throws -> [RiskEvaluation]
    /// Deletes attempts made before `attemptsBefore` and evaluations made before
    /// `evaluationsBefore`; returns how many rows went.
    func prune(attemptsBefore: Date, evaluationsBefore: Date) async throws -> Int
}
