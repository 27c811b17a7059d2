import Foundation
import KeywardCrypto

/// A security settings change made in one request behind a fresh re-authentication (the
/// password, the anti-phishing code, recovery codes, removing the authenticator app or a passkey):
/// stored as a flow that is complete the moment it begins, so that an account's flows tell every
/// change to its security, as the multi-step ones (binding an authenticator, adding a passkey,
/// changing a contact) do by their own flows.
public enum SettingsChangeFlow: FlowKind {
    /// The only state: done.
    public enum State: String, Sendable {
        case completed
    }

    /// What changed.
    public struct Context: Codable, Sendable, Equatable {
        /// The change, as its notice names it (`password.changed`, `anti_phishing_code.set`, …).
        public var change: String
    }

    public static let kind = Flow.Kind.settingsChange
    public static let completedState = State.completed
    public static let errors = FlowErrors.flow
}

extension FlowStore {
    /// Records `change` to the account's settings, made at `now`, as a completed flow.
    func recordSettingsChange(_ change: SecurityChange, accountId: String, at now: Date) async throws {
        _ = try await start(SettingsChangeFlow.self, id: SecureRandom.uuid(), state: .completed, accountId: accountId,
                            identifier: nil, at: now, lifetime: 0, context: SettingsChangeFlow.Context(change: change.rawValue))
    }
}
