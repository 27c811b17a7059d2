public import Foundation
public import KeywardCrypto

/// Risk control at the password step: every password checked is counted by network and account,
/// and a right one is evaluated against ``RiskRules`` before the second factor is asked for. A
/// decision to restrict places the restriction (sessions end, the owner is told, withdrawals are
/// held) unless `risk.enabled` is off, and a decision to approve the device marks the sign-in for
/// ``DeviceApprovals``; every evaluation is recorded with its signals either way.
public struct RiskEngine: Sendable {
    /// The key purpose of the identifier hashes attempts are counted by.
    static let identifierPurpose = "risk-identifier"

    private let hasher: KeyedHasher
    private let recognition: SignInRecognition
    private let restrictions: AccountRestrictions
    private let clock: any KeywardClock
    /// The thresholds.
    public let settings: RiskSettings

    /// Risk control under `settings`, recognising places with `recognition` and restricting
    /// through `restrictions`.
    public init(hasher: KeyedHasher, recognition: SignInRecognition, restrictions: AccountRestrictions,
                clock: any KeywardClock, settings: RiskSettings) {
        self.hasher = hasher
        self.recognition = recognition
        self.restrictions = restrictions
        self.clock = clock
        self.settings = settings
    }

    /// Counts a password check that failed: a wrong password, an identifier with no account, or
    /// an attempt refused during a lock.
    public func recordFailure(identifier: Identifier, accountId: String?, origin: RequestOrigin,
                              in stores: any KeywardStores) async throws {
        try await stores.risk.record(attempt(identifier, accountId: accountId, origin: origin, right: false))
    }

    /// Counts the right password for `accountId` and decides on it; a decision to restrict is
    /// carried out in `stores` (the caller's transaction) when risk control is on. Returns the
    /// recorded evaluation.
    public func evaluateSignIn(accountId: String, identifier: Identifier, deviceHash: String?, origin: RequestOrigin,
                               in stores: any KeywardStores) async throws -> RiskEvaluation {
        let now = clock.now()
        try await stores.risk.record(attempt(identifier, accountId: accountId, origin: origin, right: true))
        let novelty = try await recognition.assess(accountId: accountId, deviceHash: deviceHash, origin: origin, in: stores)
        var failing = (identifiers: 0, attempts: 0)
        if let network = origin.network {
            failing = try await stores.risk.failures(network: network, since: now.addingTimeInterval(-settings.stuffingWindow))
        }
        let places = try await stores.risk.places(accountId: accountId, since: now.addingTimeInterval(-settings.velocityWindow))
        let signals = RiskSignals(newDevice: novelty.newDevice, newNetwork: novelty.newNetwork, newCountry: novelty.newCountry,
                                  internalNetwork: origin.internalAddress, identifiersFailingFromNetwork: failing.identifiers, failuresFromNetwork: failing.attempts,
                                  countriesInWindow: places.countries, networksInWindow: places.networks)
        let verdict = RiskRules.decide(signals, settings: settings)
        var enforced = false
        if settings.enabled, let reason = verdict.reason {
            _ = try await restrictions.place(.restricted, reason: reason, by: "risk", note: signals.summary,
                                             accountId: accountId, origin: origin, in: stores)
            enforced = true
        } else if settings.enabled, verdict.decision == .approveDevice {
            enforced = true
        }
        let evaluation = RiskEvaluation(id: SecureRandom.uuid(), accountId: accountId, stage: .signIn,
                                        decision: verdict.decision, reason: verdict.reason, enforced: enforced,
                                        signals: signals, network: origin.network, country: origin.country, at: now)
        try await stores.risk.record(evaluation)
        return evaluation
    }

    private func attempt(_ identifier: Identifier, accountId: String?, origin: RequestOrigin, right: Bool) -> SignInAttempt {
        SignInAttempt(network: origin.network, country: origin.country,
                      identifierHash: hasher.hash(identifier.value, purpose: Self.identifierPurpose),
                      accountId: accountId, passwordRight: right, at: clock.now())
    }
}
