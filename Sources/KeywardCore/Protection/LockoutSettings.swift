public import Foundation

/// When wrong passwords lock an account, and for how long.
public struct LockoutSettings: Sendable, Equatable {
    /// Whose failures count together.
    public enum Scope: String, Sendable, CaseIterable {
        /// Every failure against the account counts toward one lock, as most exchanges do.
        case account
        /// A device that has signed in successfully before keeps its own count, so a stranger's
        /// guesses cannot lock the owner out of their usual device. The trade-off: an attacker who
        /// holds such a device (its cookie or app id) gets their own allowance of guesses.
        case device
    }

    /// Consecutive failures that lock (default 5).
    public var maxFailures: Int
    /// Failures older than this are forgotten (default 24 h).
    public var window: TimeInterval
    /// How long a lock lasts, and how far each attempt during it pushes it out (default 2 h).
    public var duration: TimeInterval
    /// Account (default) or device.
    public var scope: Scope

    /// Settings with explicit values.
    public init(maxFailures: Int = 5, window: TimeInterval = 24 * 3600, duration: TimeInterval = 2 * 3600,
                scope: Scope = .account) {
        self.maxFailures = maxFailures
        self.window = window
        self.duration = duration
        self.scope = scope
    }
}
