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

/// The outcome of asking to check one more guess.
public enum GuessClaim: Sendable, Equatable {
    /// The guess may be checked; it is failure number `count` if it turns out wrong.
    case granted(count: Int)
    /// The scope is locked until the given time (already extended by this attempt).
    case locked(until: Date)
    /// Other guesses in flight have used the allowance; try again in a moment.
    case busy
}

/// Failure counters and locks, one row per account and scope (`account`, `device:<hash>`,
/// `recovery`). Every change is a single atomic statement.
public protocol LoginFailureStore: Sendable {
    /// If the scope is locked at `now`, pushes the lock out to `extendTo` and returns it.
    func extendLock(accountId: String, scope: String, now: Date, extendTo: Date) async throws -> Date?

    /// Counts one more guess unless the scope is locked or `maxFailures` guesses since
    /// `windowStart` are already counted; returns the new count, or `nil` when refused.
    func claimGuess(accountId: String, scope: String, now: Date, windowStart: Date, maxFailures: Int) async throws -> Int?

    /// Locks the scope until `until` and starts its count afresh; `false` when it was already locked.
    func placeLock(accountId: String, scope: String, now: Date, until: Date) async throws -> Bool

    /// Forgets the scope's failures (after a successful sign-in).
    func resetFailures(accountId: String, scope: String) async throws

    /// Takes one back from the failure count (never below zero).
    func releaseGuess(accountId: String, scope: String) async throws

    /// Removes every count and lock of the account (after a password reset); returns whether a
    /// lock was in force at `now`.
    func clearAll(accountId: String, now: Date) async throws -> Bool

    /// When the scope's lock ends, if it is locked at `now`.
    func lockedUntil(accountId: String, scope: String, now: Date) async throws -> Date?

    /// Every counter of the account (its own and, in device scope, its devices').
    func counters(accountId: String) async throws -> [FailureCounter]
}

/// One failure counter, as support may see it.
public struct FailureCounter: Sendable, Equatable {
    /// `account`, or `device:<hash>` in device scope.
    public let scope: String
    /// Failures counted since `firstFailedAt`.
    public let failedCount: Int
    /// When the counted failures began; `nil` when none are counted.
    public let firstFailedAt: Date?
    /// When the lock ends, if one was placed (it may be over).
    public let lockedUntil: Date?

    /// A counter record.
    public init(scope: String, failedCount: Int, firstFailedAt: Date?, lockedUntil: Date?) {
        self.scope = scope
        self.failedCount = failedCount
        self.firstFailedAt = firstFailedAt
        self.lockedUntil = lockedUntil
    }
}
